"""The canned questions.

* `catalog` reads the ``.cypher`` files of ``cypher/`` (installed as ``kb.cypher``): their
  headers, parameter binding and the parsing of parameters written as text.
* `api` is GENERATED from those headers (``python -m kb.tools.codegen``): a typed method per
  question on `Queries` (``k.queries`` of a connection) and a row model per question.

There is no module-level copy of the questions on a hidden global connection: open one
with ``kb.connect()`` and ask ``k.queries.NAME(...)``.
"""

from kb.queries.api import ROW_MODELS, Queries
from kb.queries.catalog import Question, get

__all__ = ["ROW_MODELS", "Queries", "Question", "get"]
