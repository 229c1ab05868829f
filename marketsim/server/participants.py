"""Who may use a market: participants, their roles, tokens, limits, and the participants file.

A participant is a name (the owner of its orders), a role and, optionally, limits of its own.
It proves who it is with a random bearer token made by ``secrets``; the server keeps only the
token's SHA-256, so a participants file can be shared with colleagues without giving away a
single token. The file is TOML::

    public_leaderboard = false          # true: every participant may read the leaderboard

    [defaults]                          # limits of every participant (all optional)
    max_order_qty = 1000                # risk limits, in the instrument's units
    max_open_orders = 50
    max_position = 5000
    max_notional = 1000000
    commands_per_second = 50            # rate limit: a token bucket of `burst` commands
    burst = 100

    [participants.alice]
    role = "trader"                     # "trader", "viewer" or "admin"
    token_sha256 = "9f86d08..."
    max_position = 100                  # overrides a default for alice only
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from marketsim.core.risk import RiskLimits
from marketsim.core.types import quoted
from marketsim.errors import InvalidCommandError

VIEWER: Final = "viewer"
TRADER: Final = "trader"
ADMIN: Final = "admin"
#: Roles from the fewest rights to the most; each role may do what the ones before it may.
ROLES: Final = (VIEWER, TRADER, ADMIN)
RANK: Final = {role: rank for rank, role in enumerate(ROLES)}

#: A participant's name is its orders' owner: up to 64 of these characters.
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
_RATE_KEYS: Final = ("commands_per_second", "burst")
#: Most groups one participant may be in.
MAX_GROUPS: Final = 16


def hash_token(token: str) -> str:
    """The SHA-256 of a token, as the hex digits the participants file stores."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random token (192 bits, URL-safe text) that never starts with "-", which a
    command line would take for an option (``--token -x...``)."""
    while (token := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return token


def check_name(name: object) -> str:
    """``name`` if it is a valid participant name; else ``InvalidCommandError``."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidCommandError(
            f"a participant name is 1 to 64 of A-Z a-z 0-9 . _ -, got {quoted(name)}"
        )
    return name


def check_role(role: object) -> str:
    """``role`` if it is one of ``ROLES``; else ``InvalidCommandError``."""
    if role not in ROLES:
        raise InvalidCommandError(f"role must be one of {', '.join(ROLES)}, got {quoted(role)}")
    return role  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``commands_per_second`` commands on average, in bursts of up to ``burst``."""

    commands_per_second: float
    burst: int

    def __post_init__(self) -> None:
        if not self.commands_per_second > 0:
            raise InvalidCommandError(
                f"commands_per_second must be positive, got {self.commands_per_second!r}"
            )
        if type(self.burst) is not int or self.burst < 1:
            raise InvalidCommandError(f"burst must be a whole number >= 1, got {self.burst!r}")


@dataclass(frozen=True, slots=True)
class Participant:
    """One participant: ``name`` (the owner of its orders), ``role``, limits and rate limit,
    and ``groups`` a trading case may address ("role:insider" reaches group "insider")."""

    name: str
    role: str
    limits: RiskLimits = field(default_factory=RiskLimits)
    rate: RateLimit | None = None
    groups: tuple[str, ...] = ()

    def may(self, role: str) -> bool:
        """Whether this participant has at least the rights of ``role``."""
        return RANK[self.role] >= RANK[role]


def open_participant(owner: str) -> Participant:
    """The participant a server without participants sees: the claimed owner, as an admin."""
    return Participant(owner, ADMIN)


def _split_limits(table: Mapping[str, Any], where: str) -> tuple[RiskLimits, dict[str, Any]]:
    risk = {k: v for k, v in table.items() if k not in _RATE_KEYS}
    rate = {k: table[k] for k in _RATE_KEYS if k in table}
    try:
        return RiskLimits.from_mapping(risk), rate
    except InvalidCommandError as error:
        raise InvalidCommandError(f"{where}: {error}") from None


def _rate(values: Mapping[str, Any], where: str) -> RateLimit | None:
    if not values:
        return None
    if set(values) != set(_RATE_KEYS):
        raise InvalidCommandError(f"{where}: commands_per_second and burst go together")
    return RateLimit(float(values["commands_per_second"]), values["burst"])


class Roster:
    """The participants of a market, found by token; see the module docstring.

    Build it with ``Roster.create`` (new tokens, returned once) or ``Roster.load`` (a file).
    """

    def __init__(
        self,
        participants: Iterable[Participant],
        token_hashes: Mapping[str, str],
        *,
        defaults: RiskLimits | None = None,
        default_rate: RateLimit | None = None,
        public_leaderboard: bool = False,
    ) -> None:
        self._by_name = {p.name: p for p in participants}
        self._by_hash: dict[str, Participant] = {}
        for name, digest in token_hashes.items():
            if name not in self._by_name:
                raise InvalidCommandError(f"a token names no participant: {quoted(name)}")
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise InvalidCommandError(f"token_sha256 of {name} is not 64 hex digits")
            self._by_hash[digest] = self._by_name[name]
        self.defaults = defaults or RiskLimits()
        self.default_rate = default_rate
        self.public_leaderboard = public_leaderboard
        self._hashes = dict(token_hashes)

    @classmethod
    def create(
        cls,
        roles: Mapping[str, str],
        *,
        defaults: RiskLimits | Mapping[str, Any] | None = None,
        public_leaderboard: bool = False,
    ) -> tuple[Roster, dict[str, str]]:
        """A roster for ``{name: role}`` with fresh tokens; returns it and ``{name: token}``.

        ``defaults`` holds every participant's limits (a ``RiskLimits``, or a mapping that may
        also set ``commands_per_second`` and ``burst``).
        """
        if isinstance(defaults, RiskLimits) or defaults is None:
            limits, rate = defaults or RiskLimits(), None
        else:
            limits, rate_values = _split_limits(defaults, "defaults")
            rate = _rate(rate_values, "defaults")
        participants = [
            Participant(check_name(n), check_role(r), limits, rate) for n, r in roles.items()
        ]
        tokens = {p.name: new_token() for p in participants}
        roster = cls(
            participants,
            {name: hash_token(token) for name, token in tokens.items()},
            defaults=limits,
            default_rate=rate,
            public_leaderboard=public_leaderboard,
        )
        return roster, tokens

    @classmethod
    def load(cls, path: str | Path) -> Roster:
        """Read a participants file; ``InvalidCommandError`` says what is wrong and where."""
        path = Path(path)
        try:
            document = tomllib.loads(path.read_text())
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidCommandError(f"cannot read participants file {path}: {error}") from None
        except tomllib.TOMLDecodeError as error:
            raise InvalidCommandError(
                f"participants file {path} is not valid TOML: {error}"
            ) from None
        return cls.from_document(document, str(path))

    @classmethod
    def from_document(cls, document: Mapping[str, Any], where: str = "participants") -> Roster:
        """A roster from the parsed TOML of a participants file."""
        unknown = set(document) - {"public_leaderboard", "defaults", "participants"}
        if unknown:
            raise InvalidCommandError(f"{where}: unknown key {sorted(unknown)[0]!r:.40}")
        defaults, rate_values = _split_limits(document.get("defaults", {}), f"{where} [defaults]")
        default_rate = _rate(rate_values, f"{where} [defaults]")
        participants, hashes = [], {}
        for name, table in document.get("participants", {}).items():
            at = f"{where} [participants.{name:.64}]"
            check_name(name)
            if not isinstance(table, Mapping):
                raise InvalidCommandError(f"{at} must be a table")
            table = dict(table)
            role = check_role(table.pop("role", None))
            groups = _groups(table.pop("groups", []), at)
            digest = table.pop("token_sha256", None)
            if not isinstance(digest, str):
                raise InvalidCommandError(f"{at} needs token_sha256")
            limits, rate_values = _split_limits(table, at)
            participants.append(
                Participant(
                    name,
                    role,
                    defaults.merged(limits),
                    _rate(rate_values, at) or default_rate,
                    groups,
                )
            )
            hashes[name] = digest
        public = document.get("public_leaderboard", False)
        if type(public) is not bool:
            raise InvalidCommandError(f"{where}: public_leaderboard must be true or false")
        return cls(
            participants,
            hashes,
            defaults=defaults,
            default_rate=default_rate,
            public_leaderboard=public,
        )

    def participant(self, name: str) -> Participant:
        """The participant called ``name``; ``KeyError`` if there is none."""
        return self._by_name[name]

    def identify(self, token: str) -> Participant | None:
        """The participant whose token this is, or None."""
        return self._by_hash.get(hash_token(token))

    def __iter__(self) -> Iterator[Participant]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def to_toml(self) -> str:
        """The participants file of this roster (token hashes only)."""
        lines = [
            "# marketsim participants. Tokens are stored as SHA-256 hashes: each token was",
            "# printed once when it was made. Limits are in the instrument's units.",
            f"public_leaderboard = {'true' if self.public_leaderboard else 'false'}",
            "",
            "[defaults]",
            *_toml_items(self.defaults.as_dict()),
        ]
        if self.default_rate is not None:
            lines += _toml_items(
                {
                    "commands_per_second": self.default_rate.commands_per_second,
                    "burst": self.default_rate.burst,
                }
            )
        for name, participant in self._by_name.items():
            lines += ["", f"[participants.{name}]", f'role = "{participant.role}"']
            lines.append(f'token_sha256 = "{self._hashes[name]}"')
            if participant.groups:
                lines.append(f"groups = {list(participant.groups)!r}".replace("'", '"'))
            own = {
                k: v
                for k, v in participant.limits.as_dict().items()
                if self.defaults.as_dict().get(k) != v
            }
            lines += _toml_items(own)
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path) -> None:
        """Write the participants file (readable by its owner only: it lists the roster)."""
        path = Path(path)
        path.write_text(self.to_toml())
        path.chmod(0o600)


def _groups(value: object, where: str) -> tuple[str, ...]:
    """A participant's ``groups``: at most ``MAX_GROUPS`` names, each like a participant's."""
    if not isinstance(value, list) or len(value) > MAX_GROUPS:
        raise InvalidCommandError(f"{where}: groups must be a list of at most {MAX_GROUPS} names")
    for group in value:
        if not isinstance(group, str) or not NAME_PATTERN.fullmatch(group):
            raise InvalidCommandError(
                f"{where}: a group is 1-64 of A-Za-z0-9._-, got {quoted(group, 40)}"
            )
    return tuple(value)


def _toml_items(values: Mapping[str, Any]) -> list[str]:
    return [f"{key} = {value!r}" for key, value in values.items()]


__all__ = [
    "ADMIN",
    "ROLES",
    "TRADER",
    "VIEWER",
    "Participant",
    "RateLimit",
    "Roster",
    "hash_token",
    "new_token",
]
