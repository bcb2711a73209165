"""The bi-encoder family: the backbone's top layers fine-tuned on the labelled pairs."""
