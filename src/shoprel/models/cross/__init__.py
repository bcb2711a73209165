"""The `cross` family: a pretrained encoder fine-tuned to read (query, target) as one pair."""
