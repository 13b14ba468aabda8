"""Pass-through keyword arguments for factorizers that wrap another library.

``NMF(..., **sklearn_params)`` and ``GensimLDA(..., **gensim_params)`` accept
extra keyword arguments of the wrapped estimator.  scikit-learn's
``BaseEstimator.get_params`` drops ``**kwargs`` from the signature, which
would silently lose them in ``clone``, ``repr`` and ``save``/``load``.  This
mixin keeps them in ``self._backend_params`` (set by ``__init__``) and shows
them as ordinary parameters.

A class using it declares ``_backend_constraints`` (back-end keyword -> the
accepted kinds of value, as in ``_parameter_constraints``), ``_backend_reserved``
(back-end keywords llstopic sets itself -> the advice shown), ``_backend_name``
and ``_backend_classes()``.  The back end accepts exactly the keywords that
have a constraint here *and* that its constructor knows, so every value that
reaches it has been checked by llstopic, in llstopic's words.
"""

from __future__ import annotations

import inspect

from .._validation import validate_params

__all__ = ["BackendParamsMixin", "backend_signature", "check_backend_keys"]


class BackendParamsMixin:
    """``get_params``/``set_params`` that include the back-end keyword arguments."""

    _backend_params: dict
    _backend_constraints: dict = {}
    _backend_reserved: dict = {}
    _backend_name: str = "the back end"

    def _backend_classes(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _validate_parameters(self):
        if self._backend_constraints:  # a class without a table checks its keywords itself
            extra = getattr(self, "_backend_params", {})
            accepted = backend_signature(*self._backend_classes()) & set(self._backend_constraints)
            check_backend_keys(type(self).__name__, extra, accepted, self._backend_reserved,
                               self._backend_name)
            validate_params(extra, self._backend_constraints)
        super()._validate_parameters()

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
