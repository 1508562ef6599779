"""What LossFunctionWrapper and MeanMetricWrapper share: a wrapped per-sample function and its keywords."""
from striate.utils.naming import lookup


class FunctionWrapper:
    """Mixin for a class holding ``self.fn`` and ``self.fn_kwargs``: the keywords read as attributes
    (``loss.from_logits``) and go into the config; the function's name goes there too when the class
    is the plain wrapper, and is looked up again (in ``FUNCTIONS``, never imported) by ``from_config``.
    The plain wrapper class sets ``FUNCTIONS`` (its table of known functions) and ``KIND`` itself.
    """

    FUNCTIONS = {}
    KIND = "function"

    def get_config(self):
        config = {**super().get_config(), **self.fn_kwargs}
        if "FUNCTIONS" in type(self).__dict__:  # the plain wrapper (it sets FUNCTIONS), not e.g. MeanSquaredError
            config["fn"] = getattr(self.fn, "__name__", repr(self.fn))
        return config

    @classmethod
    def from_config(cls, config):
        if isinstance(config.get("fn"), str):
            config = {**config, "fn": lookup(cls.KIND, config["fn"], cls.FUNCTIONS)}
        return cls(**config)

    def __getattr__(self, name):
        kwargs = self.__dict__.get("fn_kwargs", {})
        if name in kwargs:
            return kwargs[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
