"""The one line a shoprel error gives for why a library raised."""

from __future__ import annotations

import subprocess
import sys

from shoprel.errors import one_line_reason


def test_a_library_s_many_line_message_becomes_one_line_naming_its_type():
    reason = one_line_reason(OSError("Can't load tokenizer.\n\n  Make sure that:\n  - it exists"))
    assert reason == "OSError: Can't load tokenizer. Make sure that: - it exists"


def test_a_long_message_is_cut_and_an_empty_one_is_the_type_alone():
    assert one_line_reason(ValueError("xy\n" * 400)) == "ValueError: " + ("xy " * 100)
    assert one_line_reason(KeyError()) == "KeyError"
    assert one_line_reason(RuntimeError("   \n")) == "RuntimeError"


def test_the_errors_module_is_there_after_importing_the_package_alone():
    """`except shoprel.errors.ShoprelError` raised AttributeError until some API call had
    imported shoprel.errors; it is there after `import shoprel`, which stays light."""
    code = ("import sys, shoprel; print(shoprel.errors.ShoprelError.__name__, "
            "issubclass(shoprel.errors.InputError, shoprel.errors.ShoprelError)); "
            "print(sorted(m for m in sys.modules if m.startswith('shoprel')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout.splitlines()
    assert out == ["ShoprelError True", "['shoprel', 'shoprel.errors']"]
