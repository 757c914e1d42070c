"""The table of offences a booking can charge, with their Secure Communities level.

ICE's Secure Communities program (2009) ranked the people it identified by the most serious
crime charged or convicted: Level 1 the aggravated felonies (homicide, rape, kidnapping,
robbery, major drug offences, national-security crimes), Level 2 other felonies such as
burglary, larceny, fraud and serious property crimes, Level 3 other offences. A charge's level
is looked up here by its code, never typed in.

The statutes are sections of the New York Penal Law (PL) and Vehicle and Traffic Law (VTL),
the emulated station's state (its default ORI is a New York one); which section falls in
which level is this project's reading of the 2009 level definitions above, for training, not
legal advice.

Examples
--------
>>> offence("PL140.25").description
'Burglary in the second degree'
>>> level_of(["PL155.25", "PL140.25"])
2
>>> level_of([]) is None
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LEVELS", "OFFENCES", "Offence", "level_of", "offence", "offence_of_literal"]

#: The Secure Communities levels, most serious first, with what each holds.
LEVELS: dict[int, str] = {
    1: "Level 1 — aggravated felonies (homicide, rape, kidnapping, robbery, major drugs)",
    2: "Level 2 — other felonies (burglary, larceny, fraud, serious property crimes)",
    3: "Level 3 — other offences",
}


@dataclass(frozen=True)
class Offence:
    """One offence of the table.

    Attributes
    ----------
    code : str
        The station's code: the law's abbreviation and the section, without spaces
        (``"PL125.25"``).
    statute : str
        The statute as written on a charge (``"NY PL 125.25"``).
    description : str
        What the offence is called (``"Murder in the second degree"``).
    level : int
        Secure Communities level, 1 (most serious) to 3.
    """

    code: str
    statute: str
    description: str
    level: int

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"offence {self.code}: level must be 1, 2 or 3, got {self.level!r}")
        if not self.code or " " in self.code:
            raise ValueError(f"offence code must be non-empty without spaces, got {self.code!r}")

    @property
    def literal(self) -> str:
        """The charge literal a transaction carries: statute and description, upper case
        (``"NY PL 125.25 MURDER IN THE SECOND DEGREE"``)."""
        return f"{self.statute} {self.description}".upper()


def _pl(section: str, description: str, level: int) -> Offence:
    return Offence(f"PL{section}", f"NY PL {section}", description, level)


def _vtl(section: str, description: str, level: int) -> Offence:
    return Offence(f"VTL{section}", f"NY VTL {section}", description, level)


#: Every offence the station knows, Level 1 first, then by code.
OFFENCES: tuple[Offence, ...] = (
    # Level 1: aggravated felonies
    _pl("120.10", "Assault in the first degree", 1),
    _pl("125.20", "Manslaughter in the first degree", 1),
    _pl("125.25", "Murder in the second degree", 1),
    _pl("130.35", "Rape in the first degree", 1),
    _pl("135.20", "Kidnapping in the second degree", 1),
    _pl("150.20", "Arson in the first degree", 1),
    _pl("160.15", "Robbery in the first degree (armed)", 1),
    _pl("220.43", "Criminal sale of a controlled substance in the first degree", 1),
    _pl("220.77", "Operating as a major trafficker", 1),
    _pl("490.25", "Crime of terrorism", 1),
    # Level 2: other felonies, serious property crimes
    _pl("140.20", "Burglary in the third degree", 2),
    _pl("140.25", "Burglary in the second degree", 2),
    _pl("155.30", "Grand larceny in the fourth degree", 2),
    _pl("155.35", "Grand larceny in the third degree", 2),
    _pl("165.08", "Unauthorized use of a vehicle in the first degree", 2),
    _pl("165.50", "Criminal possession of stolen property in the third degree", 2),
    _pl("170.10", "Forgery in the second degree", 2),
    _pl("190.65", "Scheme to defraud in the first degree", 2),
    _pl("220.16", "Criminal possession of a controlled substance in the third degree", 2),
    # Level 3: other offences
    _pl("120.00", "Assault in the third degree", 3),
    _pl("140.10", "Criminal trespass in the third degree", 3),
    _pl("145.00", "Criminal mischief in the fourth degree", 3),
    _pl("155.25", "Petit larceny", 3),
    _pl("165.40", "Criminal possession of stolen property in the fifth degree", 3),
    _pl("205.30", "Resisting arrest", 3),
    _pl("220.03", "Criminal possession of a controlled substance in the seventh degree", 3),
    _pl("240.20", "Disorderly conduct", 3),
    _vtl("1192.3", "Driving while intoxicated", 3),
    _vtl("511.1", "Aggravated unlicensed operation in the third degree", 3),
)

_BY_CODE: dict[str, Offence] = {o.code.casefold(): o for o in OFFENCES}
if len(_BY_CODE) != len(OFFENCES):  # pragma: no cover - a table error, found on import
    raise RuntimeError("two offences share a code")


def offence(code: str) -> Offence:
    """The offence with this code (any case, surrounding blanks and inner spaces ignored).

    Parameters
    ----------
    code : str
        ``"PL125.25"`` (``"pl 125.25"`` works too).

    Returns
    -------
    Offence

    Raises
    ------
    ValueError
        Not a code of the table.

    Examples
    --------
    >>> offence("pl 125.25").level
    1
    """
    if not isinstance(code, str):
        raise ValueError(f"offence code must be text, got {type(code).__name__}")
    found = _BY_CODE.get("".join(code.split()).casefold())
    if found is None:
        raise ValueError(f"unknown offence code {code!r}: see station.core.offences.OFFENCES")
    return found


def offence_of_literal(literal: str) -> Offence:
    """The offence a charge literal (EBTS 2.047 ASL) names, read by its statute.

    The literal starts with the statute (``"NY PL 125.25 MURDER IN THE SECOND DEGREE"``);
    the description after it may be worded differently by other software and is not
    compared. Case and runs of blanks are ignored.

    Raises
    ------
    ValueError
        No statute of the table starts the literal.

    Examples
    --------
    >>> offence_of_literal("ny pl 125.25 murder 2nd").code
    'PL125.25'
    """
    if not isinstance(literal, str):
        raise ValueError(f"charge literal must be text, got {type(literal).__name__}")
    words = literal.upper().split()
    for found in OFFENCES:  # whole words compared: NY PL 120.0 never matches 120.05
        statute = found.statute.upper().split()
        if words[: len(statute)] == statute:
            return found
    raise ValueError(
        f"charge {' '.join(words)[:40]!r} names no statute of the offence table "
        "(station.core.offences.OFFENCES)"
    )


def level_of(charges: Iterable[str | Offence]) -> int | None:
    """The level of the most serious charge (1 is the most serious), ``None`` for no charge.

    Parameters
    ----------
    charges : iterable of str or Offence
        Offence codes or offences.

    Raises
    ------
    ValueError
        A code not in the table.

    Examples
    --------
    >>> level_of(["VTL1192.3", "PL125.25"])
    1
    """
    levels = [(c if isinstance(c, Offence) else offence(c)).level for c in charges]
    return min(levels) if levels else None
