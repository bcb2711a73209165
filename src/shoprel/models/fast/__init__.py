"""The `fast` family: the lexical component alone, stacked into LightGBM."""
