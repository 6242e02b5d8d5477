"""The benchmark suite: a realistic scale generator (`bench.generate`) and the harness
(`bench.run`) behind ``kb bench``. See docs/benchmarks.md for the latest figures."""

from .generate import GENERATED_SOURCE_PREFIX, Generated, generate

__all__ = ["GENERATED_SOURCE_PREFIX", "Generated", "generate"]
