"""Interchange formats: ANSI/NIST-ITL transactions and FBI EBTS ten-print submissions.

No Qt and no SQL here; the layer imports :mod:`station.core` only.

- :mod:`station.interchange.ansi_nist`: the ANSI/NIST-ITL 1-2011 traditional encoding (tagged
  records Type-1, 2, 9, 13, 14, 15 and the binary Type-4), :func:`read_transaction`,
  :func:`write_transaction`, :func:`read_file`.
- :mod:`station.interchange.ebts`: FBI EBTS criminal ten-print submissions (CAR / CNA) and
  their responses (SRE / ERRT) built from and parsed into plain frozen dataclasses.
- :mod:`station.interchange.wsq`: FBI WSQ compression of 500 ppi prints (NBIS via ``wsq``).
- :mod:`station.interchange.iso`: ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 finger
  minutiae records.
"""

from __future__ import annotations

from .ansi_nist import (
    MAX_TRANSACTION_BYTES,
    FieldValue,
    InterchangeError,
    Record,
    SkippedRecord,
    TaggedRecord,
    Transaction,
    Type4Record,
    read_file,
    read_transaction,
    write_transaction,
)
from .ebts import (
    ArrestCharge,
    HitSubject,
    PrintImage,
    Segment,
    SubmissionResponse,
    TenprintSubmission,
    build_response,
    build_submission,
    parse_response,
    parse_submission,
)

__all__ = [
    "MAX_TRANSACTION_BYTES",
    "ArrestCharge",
    "FieldValue",
    "HitSubject",
    "InterchangeError",
    "PrintImage",
    "Record",
    "Segment",
    "SkippedRecord",
    "SubmissionResponse",
    "TaggedRecord",
    "TenprintSubmission",
    "Transaction",
    "Type4Record",
    "build_response",
    "build_submission",
    "parse_response",
    "parse_submission",
    "read_file",
    "read_transaction",
    "write_transaction",
]
