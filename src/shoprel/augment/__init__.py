"""Translation, language identification and translation-based augmentation of pair files.

The modules are imported where they are used (`shoprel.augment.translate_file`, ...): the CLI
imports this package to start, and each module pulls in heavy dependencies of its own.
"""
