"""Synthetic subjects: stable demographics for subject ``k`` of population ``s``.

Codes follow the FBI EBTS descriptive fields: sex ``M``/``F``; eye colour ``EYE`` and hair
colour ``HAI`` three-letter codes; height ``HGT`` in feet and inches (``510`` = 5 ft 10 in);
weight ``WGT`` in pounds; place of birth ``POB`` as a US state or a country code. Every person
is made up: names are drawn independently from short lists, so no record describes anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from . import rng as rngs

__all__ = ["Demographics", "demographics"]

_FIRST_M = [
    "James",
    "Robert",
    "Michael",
    "William",
    "David",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kevin",
    "Brian",
    "George",
    "Edward",
    "Ronald",
    "Timothy",
    "Jason",
    "Jeffrey",
    "Ryan",
    "Jacob",
    "Gary",
    "Nicholas",
    "Eric",
    "Jonathan",
    "Stephen",
    "Larry",
    "Justin",
    "Scott",
    "Brandon",
    "Benjamin",
    "Samuel",
    "Carlos",
    "Luis",
    "Miguel",
    "Omar",
    "Andre",
    "Marcus",
    "Dmitri",
    "Ivan",
    "Hiroshi",
    "Kwame",
    "Tariq",
    "Mateo",
    "Diego",
]
_FIRST_F = [
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Betty",
    "Sandra",
    "Margaret",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Sharon",
    "Laura",
    "Cynthia",
    "Amy",
    "Angela",
    "Anna",
    "Brenda",
    "Pamela",
    "Nicole",
    "Emma",
    "Samantha",
    "Katherine",
    "Maria",
    "Lucia",
    "Sofia",
    "Ana",
    "Aisha",
    "Fatima",
    "Mei",
    "Yuki",
    "Olga",
    "Ingrid",
    "Priya",
    "Amara",
    "Zoe",
]
_LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Okafor",
    "Novak",
    "Kowalski",
    "Ivanova",
    "Tanaka",
    "Haddad",
    "Mensah",
    "Lindqvist",
    "Petrov",
    "Castillo",
    "Ortega",
    "Brennan",
    "Fischer",
]
_EYES = ("BRO", "BRO", "BRO", "BLU", "BLU", "HAZ", "GRN", "GRY", "BLK")
_HAIR = ("BRO", "BRO", "BLK", "BLK", "BLN", "RED", "GRY", "SDY", "WHI", "BAL")
_POB = [
    "CA",
    "TX",
    "FL",
    "NY",
    "PA",
    "IL",
    "OH",
    "GA",
    "NC",
    "MI",
    "NJ",
    "VA",
    "WA",
    "AZ",
    "MA",
    "TN",
    "IN",
    "MO",
    "MD",
    "WI",
    "CO",
    "MN",
    "SC",
    "AL",
    "LA",
    "KY",
    "OR",
    "OK",
    "CT",
    "UT",
    "IA",
    "NV",
    "AR",
    "MS",
    "KS",
    "NM",
    "NE",
    "ID",
    "WV",
    "HI",
    "NH",
    "ME",
    "MT",
    "RI",
    "DE",
    "SD",
    "ND",
    "AK",
    "VT",
    "WY",
    "MX",
    "GT",
    "SV",
    "HN",
    "DO",
    "PH",
    "CN",
    "VN",
]
_REFERENCE_DATE = dt.date(2026, 1, 1)  # ages are relative to a fixed date: reproducible


@dataclass(frozen=True)
class Demographics:
    """Descriptive data of a synthetic subject (EBTS-style codes, see module docstring)."""

    last_name: str
    first_name: str
    middle_initial: str
    date_of_birth: dt.date
    sex: str
    height: str
    weight: int
    eye_colour: str
    hair_colour: str
    place_of_birth: str

    def as_dict(self) -> dict[str, str | int]:
        """JSON-friendly form (date as ISO text)."""
        data = asdict(self)
        data["date_of_birth"] = self.date_of_birth.isoformat()
        return data


def demographics(subject: int, *, population: int = 0) -> Demographics:
    """Demographics of subject ``subject`` of population ``population`` (deterministic)."""
    subject = rngs.check_seed("subject", subject)
    population = rngs.check_seed("population", population)
    rng = rngs.stream(population, subject, rngs.DEMOGRAPHICS)
    sex = "M" if rng.random() < 0.75 else "F"  # booking populations are mostly male
    first = str(rng.choice(_FIRST_M if sex == "M" else _FIRST_F))
    age_days = int(rng.integers(18 * 365, 75 * 365))
    inches = round(rng.normal(69.5 if sex == "M" else 64.0, 3.0))
    inches = min(max(inches, 56), 82)
    bmi = float(rng.normal(27.0, 4.5))
    weight = round(min(max(bmi, 17.0), 45.0) * (inches * 0.0254) ** 2 * 2.20462)
    return Demographics(
        last_name=str(rng.choice(_LAST)),
        first_name=first,
        middle_initial=chr(ord("A") + int(rng.integers(0, 26))),
        date_of_birth=_REFERENCE_DATE - dt.timedelta(days=age_days),
        sex=sex,
        height=f"{inches // 12}{inches % 12:02d}",
        weight=weight,
        eye_colour=str(rng.choice(_EYES)),
        hair_colour=str(rng.choice(_HAIR)),
        place_of_birth=str(rng.choice(_POB)),
    )
