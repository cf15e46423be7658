"""Storybooks: the document model, prompt building for generation, and PDF / EPUB / HTML exports.

`model` (the versioned JSON document and its edits), `schemas` + `prompts` (LLM steps and illustration
prompts), `export` (one entry point for every format; one module per format).
"""

from aigc_contest.works.storybook.model import (
    Character,
    ImageAsset,
    Page,
    Storybook,
    StorybookError,
    load_book,
    save_book,
)

__all__ = ["Character", "ImageAsset", "Page", "Storybook", "StorybookError", "load_book", "save_book"]
