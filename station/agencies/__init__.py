"""Emulated agencies of Secure Communities: the state bureau, FBI NGI, DHS IDENT and ICE LESC.

Each agency is one class behind the :class:`~station.agencies.base.Agency` interface: it holds
its own records (the gallery's records of its repository) and answers a request on plain data
(:class:`~station.agencies.base.AgencyRequest` in, :class:`~station.agencies.base.AgencyAnswer`
out, the answer's bytes an EBTS SRE or ERRT, or an ICE IAR). The biometric agencies identify
from the station's search candidates restricted to subjects holding a record in their own
repository, against that repository's HIT threshold; LESC answers an immigration alien query
about the subject IDENT matched. Queueing, delays and time-outs are the service's
(:mod:`station.service.secure_communities`).

Examples
--------
>>> from station.agencies import agency_for
>>> from station.core.disposition import DispositionPolicy
>>> agency_for("NGI", gallery, DispositionPolicy()).system  # doctest: +SKIP
<System.NGI: 'NGI'>
"""

from __future__ import annotations

from .base import AGENCY_ORI, Agency, AgencyAnswer, AgencyRequest
from .bureaus import (
    Ident,
    Lesc,
    Ngi,
    StateBureau,
    agency_for,
    agency_results,
    priority_level,
    removable,
)

__all__ = [
    "AGENCY_ORI",
    "Agency",
    "AgencyAnswer",
    "AgencyRequest",
    "Ident",
    "Lesc",
    "Ngi",
    "StateBureau",
    "agency_for",
    "agency_results",
    "priority_level",
    "removable",
]
