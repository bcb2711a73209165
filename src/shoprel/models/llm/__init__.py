"""The `llm` family: a decoder with a 2-class head, fine-tuned with LoRA."""
