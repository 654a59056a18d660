"""The permission layer (`eig/permissions.py` and every app's `rules.py`): names, the
helpers, and that every permission the code asks for is declared, so that a typo can
neither silently deny nor silently allow."""

import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rules.permissions import permissions as declared

from eig.accounts.models import Role
from eig.exceptions import DomainError
from eig.permissions import FORBIDDEN, ensure_perm, require_perm
from tests.factories import AgentFactory, DefiFactory, UserFactory

ROOT = Path(settings.BASE_DIR)
# Where permissions are asked: the project's code and templates (not the tests).
SOURCES = ["eig", "projects", "funding", "candidates", "missions", "templates"]
DJANGO_VERBS = {"add", "change", "delete", "view"}

# A call that asks a permission (its arguments, one level of nested parentheses allowed);
# the permission is the string literal of the form "<app>.<verb>_<thing>" among them.
CALL = re.compile(
    r"\b(?:has_perm|require_perm|ensure_perm|_staff_only|_ensure_editor)\s*"
    r"\((?P<args>[^()]*(?:\([^()]*\)[^()]*)*)\)"
)
PERM_LITERAL = re.compile(r"""(?P<f>f?)["'](?P<name>[a-z_]+\.[a-z_{}]+)["']""")
# A parameter whose default is a permission (`perm: str = "funding.manage_convention"`).
PERM_DEFAULT = re.compile(r"""\bperm\s*(?::\s*str\s*)?=\s*(?P<f>f?)["'](?P<name>[^"']+)["']""")
TEMPLATE_TAG = re.compile(r"""\{%\s*has_perm\s+["'](?P<name>[^"']+)["']""")


def perms_asked_in(text: str) -> set[str]:
    """Permission names asked in a source text; an f-string's fields become `{…}`."""
    names = set()
    for call in CALL.finditer(text):
        names |= {m["name"] for m in PERM_LITERAL.finditer(call["args"])}
    names |= {m["name"] for m in PERM_DEFAULT.finditer(text)}
    names |= {m["name"] for m in TEMPLATE_TAG.finditer(text)}
    return names


def _source_files():
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".txt") and "migrations" not in path.parts:
                yield path


def perms_asked() -> dict[str, str]:
    """Every permission asked in the project -> the first file that asks it."""
    asked = {}
    for path in _source_files():
        for name in perms_asked_in(path.read_text(encoding="utf-8")):
            asked.setdefault(name, str(path.relative_to(ROOT)))
    return asked


def _fits(asked: str, perm: str) -> bool:
    """Whether the asked name (an f-string's fields written `{…}`) can be `perm`."""
    if "{" not in asked:
        return asked == perm
    return re.fullmatch(re.sub(r"\\\{[^}]*\\\}", "[a-z_]+", re.escape(asked)), perm) is not None


def _is_declared(name: str) -> bool:
    if "{" in name:  # an f-string: some declared permission must fit it
        return any(_fits(name, perm) for perm in declared)
    app_label, _, codename = name.partition(".")
    verb, _, model = codename.partition("_")
    if verb in DJANGO_VERBS:  # one of Django's model permissions (the admin's)
        try:
            return apps.get_model(app_label, model) is not None
        except LookupError:
            return False
    return name in declared


def test_permissions_asked_are_all_declared():
    asked = perms_asked()

    undeclared = sorted(
        f"{name} ({path})" for name, path in asked.items() if not _is_declared(name)
    )

    assert undeclared == []


def test_permissions_declared_are_all_asked():
    # A permission nobody asks is a rule nobody enforces.
    asked = perms_asked()

    unused = sorted(
        name for name in declared if not any(_fits(asked_name, name) for asked_name in asked)
    )

    assert unused == []


def _tables() -> dict[str, dict]:
    """The tables of the tests named `test_*rules.py`: permission -> {object: roles}."""
    tables = {}
    for path in sorted((ROOT / "tests").rglob("test_*rules.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        # A rules test without a TABLE pins nothing: it shows as an empty table below.
        tables[module.__name__] = getattr(module, "TABLE", {})
    return tables


def test_permissions_declared_are_each_pinned_by_a_table():
    # Each rules.py module has its test of (role, object, permission) -> expected.
    tables = _tables()
    pinned = {perm for table in tables.values() for perm in table}

    assert sorted(name for name, table in tables.items() if not table) == []
    assert sorted(set(declared) - pinned) == []


def test_permissions_scan_finds_what_the_code_asks():
    # The net is not empty: views, services and templates of each app are seen.
    asked = set(perms_asked())

    assert {
        "projects.read_defi",  # get_defi_for_user (a selector)
        "projects.edit_defi",  # templates
        "projects.{action}_defi",  # defi_action (an f-string)
        "projects.invite_to_defi",  # a service
        "funding.sign_convention",  # a service and a template
        "funding.manage_convention",  # a default argument
        "programme.name_signatory",  # a view, a service, a template
        "accounts.erase_user",  # a service
    } <= asked


def test_permissions_scan_catches_a_typo():
    text = """
        if not user.has_perm("projects.edit_defy", defi): ...
        ensure_perm(
            actor,
            "funding.sing_convention",
            convention,
            message=f"Seuls les signataires {of_name(administration)} signent.",
        )
        {% has_perm "programme.name_signatories" user administration as can %}
    """
    asked = perms_asked_in(text)

    assert asked == {
        "projects.edit_defy",
        "funding.sing_convention",
        "programme.name_signatories",
    }
    assert not any(_is_declared(name) for name in asked)


def test_permissions_are_named_app_verb_model_without_django_verbs():
    labels = {config.label for config in apps.get_app_configs()}

    wrong = sorted(
        name
        for name in declared
        if not re.fullmatch(r"[a-z_]+\.[a-z]+_[a-z_]+", name)
        or name.partition(".")[0] not in labels
        or name.partition(".")[2].partition("_")[0] in DJANGO_VERBS
    )

    assert wrong == []


@pytest.mark.django_db
def test_permissions_superuser_holds_only_what_the_rules_give_staff():
    # A superuser is programme staff: reads a défi, does not write it (no shortcut); Django's
    # model permissions keep theirs, for the admin.
    superuser = UserFactory(is_superuser=True, is_staff=True, roles=[Role.STAFF])
    defi = DefiFactory()

    assert superuser.has_perm("projects.read_defi", defi)
    assert not superuser.has_perm("projects.edit_defi", defi)
    assert superuser.has_perm("projects.change_defi")


@pytest.mark.django_db
def test_require_perm_hides_with_404_or_refuses_with_403():
    outsider = AgentFactory()
    defi = DefiFactory()

    with pytest.raises(Http404):
        require_perm(outsider, "projects.read_defi", defi)
    with pytest.raises(PermissionDenied, match="Réservé"):
        require_perm(outsider, "projects.read_defi", defi, status=FORBIDDEN, message="Réservé")
    require_perm(defi.owner, "projects.read_defi", defi)


@pytest.mark.django_db
def test_ensure_perm_refuses_with_the_services_french_message():
    outsider = AgentFactory()
    defi = DefiFactory()

    with pytest.raises(DomainError, match="Seuls les rédacteurs") as refused:
        ensure_perm(outsider, "projects.edit_defi", defi, message="Seuls les rédacteurs.", code="x")
    assert refused.value.code == "x"
    ensure_perm(defi.owner, "projects.edit_defi", defi, message="Seuls les rédacteurs.")


@pytest.mark.django_db
def test_ensure_perm_asks_a_message_function_only_on_refusal():
    outsider = AgentFactory()
    defi = DefiFactory()
    asked = []

    def why():
        asked.append(True)
        return "Vous n'êtes pas rédacteur de ce défi."

    ensure_perm(defi.owner, "projects.edit_defi", defi, message=why)
    assert asked == []
    with pytest.raises(DomainError, match="pas rédacteur de ce défi"):
        ensure_perm(outsider, "projects.edit_defi", defi, message=why)
    assert asked == [True]
