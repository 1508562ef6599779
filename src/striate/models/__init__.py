"""striate.models: Model (functional or subclassed) and Sequential."""
from striate.models.model import Model
from striate.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
