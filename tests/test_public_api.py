"""The public names: ``audit.__all__`` (derived from ``audit._API``, the one list) all resolve,
every submodule imports, every module declares its own ``__all__``, and ``import audit``
stays light. Nothing here lists the API a second time."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from types import ModuleType

import pytest

import audit


def _modules() -> list[str]:
    """Every module of the package, subpackages included (``__main__`` would run the CLI)."""
    names = ["audit"]
    for info in pkgutil.walk_packages(audit.__path__, prefix="audit."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return names


def test_all_is_the_api_list_plus_the_eagerly_imported_names():
    assert len(audit.__all__) == len(set(audit.__all__))          # no name twice
    assert set(audit._API) <= set(audit.__all__)
    eager = set(audit.__all__) - set(audit._API)
    # what is not lazy is the version and the error classes, imported with the package
    assert "__version__" in eager
    assert all(name == "__version__" or issubclass(getattr(audit, name), Exception)
               or name == "Problem" for name in eager)
    assert dir(audit) == sorted(audit.__all__)


@pytest.mark.parametrize("name", sorted(audit.__all__))
def test_every_public_name_resolves(name):
    value = getattr(audit, name)
    assert value is not None
    if name in audit._API:
        module = importlib.import_module(audit._API[name])
        assert value is getattr(module, name)            # the same object, not a copy
        assert name in module.__all__, f"{module.__name__}.__all__ does not list {name}"


@pytest.mark.parametrize("name", sorted(audit._SUBMODULES))
def test_every_listed_submodule_imports_and_is_an_attribute(name):
    module = getattr(audit, name)
    assert isinstance(module, ModuleType) and module.__name__ == f"audit.{name}"
    assert module is importlib.import_module(f"audit.{name}")


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        audit.no_such_name  # noqa: B018


@pytest.mark.parametrize("name", _modules())
def test_every_module_declares_all_and_its_names_exist(name):
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.__all__ lists missing {public}"
    assert not [n for n in module.__all__ if n.startswith("_") and n != "__version__"], \
        f"{name} exports a private name"


def test_import_audit_is_light():
    """`import audit` (and so `audit validate`'s start-up) loads no statistics or plotting,
    and neither do the version and the error classes."""
    code = ("import sys, audit; audit.__version__; audit.AuditError; audit.ParameterError; "
            "heavy = [m for m in ('scipy', 'statsmodels', 'matplotlib', 'seaborn', "
            "'papermill') if m in sys.modules]; print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


def test_error_hierarchy():
    assert issubclass(audit.IdentifierError, audit.ValidationError)
    assert issubclass(audit.ValidationError, audit.ExtractError)
    assert issubclass(audit.ReadError, audit.ExtractError)
    for error in (audit.ExtractError, audit.ReportError, audit.HistoryError,
                  audit.ParameterError, audit.DisclosureError):
        assert issubclass(error, audit.AuditError)
    # a bad argument is also a ValueError, as Python's own checks are
    assert issubclass(audit.ParameterError, ValueError)
