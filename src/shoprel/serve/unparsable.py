"""Why a body FastAPI could not even parse was refused, in one line.

FastAPI answers every such body with the same bare "There was an error parsing the body"; the
reader's own error (its __cause__) says which it was, so the client learns what to fix.
"""

from __future__ import annotations

import re

UNPARSABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 detail for such a body
# Python's int() refusal: "Exceeds the limit (4300 digits) for integer string conversion: value
# has 5000 digits; ...". The limit is read from it, not from sys.get_int_max_str_digits() now:
# the one that refused this number (PYTHONINTMAXSTRDIGITS, -X int_max_str_digits or a call to
# sys.set_int_max_str_digits may set any).
_DIGITS = re.compile(r"limit \((\d+) digits\).*value has (\d+) digits")


def unparsable_body_message(cause: BaseException | None) -> str:
    """One line for a body that is not UTF-8, nests too deeply or holds too long a number."""
    if isinstance(cause, UnicodeDecodeError):
        byte = cause.object[cause.start:cause.start + 1].hex()
        return (f"malformed JSON: the body is not UTF-8 text (byte 0x{byte} at offset "
                f"{cause.start:,} cannot be decoded); send it encoded as UTF-8")
    if isinstance(cause, RecursionError):
        return ("malformed JSON: the body nests arrays or objects too deeply for the JSON "
                "reader; send a flat {\"pairs\": [...]} list")
    digits = _DIGITS.search(str(cause)) if isinstance(cause, ValueError) else None
    if digits is not None:
        limit, held = (int(group) for group in digits.groups())
        return (f"malformed JSON: the body holds a number of more digits than a JSON reader "
                f"takes ({held:,}; at most {limit:,})")
    return ("malformed JSON: the body could not be read (not UTF-8 text, nested too deeply, "
            "or a number too long)")
