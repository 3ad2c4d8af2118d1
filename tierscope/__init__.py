"""tierscope: LLM cost attribution and routing FinOps on DuckDB."""

__version__ = "0.1.0"
