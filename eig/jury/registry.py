"""The kinds of dossier the jury engine serves, each registered once by its app.

An app describes its dossiers in a `JuryDomain` and registers it from its `AppConfig.ready()`
(`projects` registers its own). Every jury stores the key of its domain (`Jury.domain`), so
the engine's screens, mails and tasks find the right models from the jury alone, and the
juror's dashboard lists the juries of every domain.
"""

from eig.jury.domain import JuryDomain

_DOMAINS: dict[str, JuryDomain] = {}


def register(domain: JuryDomain) -> JuryDomain:
    if not domain.key:
        raise ValueError("A jury domain needs a key.")
    known = _DOMAINS.get(domain.key)
    if known is not None and known is not domain:
        raise ValueError(f"The jury domain key {domain.key!r} is already registered.")
    _DOMAINS[domain.key] = domain
    return domain


def get_domain(key: str) -> JuryDomain:
    try:
        return _DOMAINS[key]
    except KeyError:
        raise LookupError(f"No jury domain is registered as {key!r}.") from None


def domain_for(jury) -> JuryDomain:
    return get_domain(jury.domain)


def domain_for_dossier(dossier) -> JuryDomain | None:
    """The domain whose dossiers are of `dossier`'s model, or None."""
    for domain in _DOMAINS.values():
        if isinstance(dossier, domain.dossier_model):
            return domain
    return None


def domains() -> list[JuryDomain]:
    return list(_DOMAINS.values())


def domain_choices() -> list[tuple[str, str]]:
    return [(domain.key, domain.nouns.plural.capitalize()) for domain in _DOMAINS.values()]
