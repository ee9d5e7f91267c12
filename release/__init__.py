"""release: a declarative release manager for model families on the Hugging Face Hub."""

__version__ = "0.1.0"
