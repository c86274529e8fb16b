"""Arabic attack reports to a DuckDB incident database."""

from pathlib import Path

__version__ = "0.1.0"

REPO_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = REPO_ROOT / "sql"
LEXICON_DIR = REPO_ROOT / "lexicons"
