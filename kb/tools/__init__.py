"""Developer tools that read the code: the typed-API generator and the docs generator."""
