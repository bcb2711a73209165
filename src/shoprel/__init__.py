"""shoprel: does this product fit this shopper's query, in any language?"""

__version__ = "0.1.0"
