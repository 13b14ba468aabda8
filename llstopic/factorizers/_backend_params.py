"""Pass-through keyword arguments for factorizers that wrap another library.

``NMF(..., **sklearn_params)`` and ``GensimLDA(..., **gensim_params)`` accept
extra keyword arguments of the wrapped estimator.  scikit-learn's
``BaseEstimator.get_params`` drops ``**kwargs`` from the signature, which
would silently lose them in ``clone``, ``repr`` and ``save``/``load``.  This
mixin keeps them in ``self._backend_params`` (set by ``__init__``) and shows
them as ordinary parameters.  Their *values* are checked at fit time by the
factorizer's ``_check_params``, against the names the back end accepts.
"""

from __future__ import annotations

import inspect

__all__ = ["BackendParamsMixin", "backend_signature", "check_backend_keys"]


class BackendParamsMixin:
    """``get_params``/``set_params`` that include the back-end keyword arguments."""

    _backend_params: dict

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update(getattr(self, "_backend_params", {}))
        return params

    def set_params(self, **params):
        extra = getattr(self, "_backend_params", None)
        if extra is not None:
            for key in [k for k in params if k in extra]:
                extra[key] = params.pop(key)
        return super().set_params(**params)


def backend_signature(*classes):
    """Names of the keyword arguments the ``__init__`` of any of ``classes`` accepts."""
    names = set()
    for klass in classes:
        for name, param in inspect.signature(klass.__init__).parameters.items():
            if name != "self" and param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                names.add(name)
    return names


def check_backend_keys(owner, params, accepted, reserved, backend):
    """Reject keyword arguments the back end does not know or that we set ourselves.

    Parameters
    ----------
    owner : str
        Our class name, for the message.
    params : dict
        The extra keyword arguments given by the user.
    accepted : set of str
        Names the back end's constructor accepts.
    reserved : dict of str to str
        Back-end names that llstopic sets itself, mapped to the advice shown
        when a user passes one (e.g. ``"n_components": "use n_topics"``).
    backend : str
        The back end's name, for the message.
    """
    for key in params:
        if key in reserved:
            raise ValueError(f"{owner}: parameter {key}={params[key]!r} cannot be passed to {backend}: "
                             f"{reserved[key]}")
        if key not in accepted:
            known = sorted(accepted - set(reserved))
            raise TypeError(f"{owner} got an unexpected parameter {key}={params[key]!r}; {backend} accepts "
                            f"{', '.join(known)}")
