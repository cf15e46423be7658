"""Prompt building for storybooks: illustration prompts, seeds, and the messages of each LLM step.

Pure functions returning strings and messages; the generation pipeline sends them to a backend.
An illustration prompt is always: style prefix + the character sheet, verbatim, of every character in the
scene + the scene. Repeating the same sheet word for word (and the same seed per character) keeps a
character's look steady from page to page.
"""

from __future__ import annotations

import json

from aigc_contest.generation.types import ChatMessage, Language
from aigc_contest.works.storybook.model import AgeBand, Character, Page, Storybook, name_seed
from aigc_contest.works.storybook.schemas import CharacterSheet, Outline, PageTexts

DEFAULT_STYLE = "children's picture book illustration, soft colours, clean shapes"
# Named styles a participant can pick; any other text is used as the style prefix itself.
STYLE_PRESETS: dict[str, str] = {
    "watercolor": "children's picture book illustration, soft watercolour, gentle washes, white paper texture",
    "crayon": "children's crayon drawing, bold strokes, bright colours, textured paper",
    "cartoon": "bright cartoon illustration, clean outlines, flat colours",
    "paper-cut": "layered paper-cut art, soft shadows, bold simple shapes",
    "ink-wash": "Chinese ink wash painting, light colours, soft brush strokes, generous white space",
    "pixel": "pixel art, 16-bit colours, crisp pixels",
    "3d": "soft 3D clay render, rounded shapes, warm studio light",
}
NEGATIVE_PROMPT = (
    "text, letters, words, watermark, signature, frightening, violent, gore, nsfw, deformed hands, extra limbs"
)

LANGUAGE_INSTRUCTIONS: dict[Language, str] = {
    "en": "Write the story text in English.",
    "zh-Hant": "Write the story text in Traditional Chinese (繁體中文) as used in Hong Kong.",
    "zh-Hans": "Write the story text in Simplified Chinese (简体中文).",
}

# Writing guidance per age band: (English guidance, Chinese guidance). Chinese counts characters.
_AGE_GUIDANCE: dict[AgeBand, tuple[str, str]] = {
    "6-8": (
        "Readers are 6 to 8 years old. Use short sentences of at most 10 words, everyday words a young child "
        "knows, 1 to 3 sentences per page, repetition and sound words are welcome. No scary or sad endings.",
        "Readers are 6 to 8 years old. Use short sentences of at most 15 Chinese characters, common characters "
        "taught in the first school years, 1 to 3 sentences per page, repetition is welcome. No scary endings.",
    ),
    "9-11": (
        "Readers are 9 to 11 years old. Use sentences of at most 16 words, familiar vocabulary with an "
        "occasional new word made clear by context, 2 to 4 sentences per page, some dialogue.",
        "Readers are 9 to 11 years old. Use sentences of at most 25 Chinese characters, common vocabulary with "
        "an occasional idiom made clear by context, 2 to 4 sentences per page, some dialogue.",
    ),
    "12-14": (
        "Readers are 12 to 14 years old. Vary sentence length (up to about 22 words), richer vocabulary, "
        "3 to 5 sentences per page, dialogue and inner thoughts, a clear conflict and resolution.",
        "Readers are 12 to 14 years old. Vary sentence length (up to about 35 Chinese characters), richer "
        "vocabulary and idioms, 3 to 5 sentences per page, dialogue and inner thoughts.",
    ),
    "15-18": (
        "Readers are 15 to 18 years old. Literary prose with varied rhythm, precise vocabulary, 3 to 6 "
        "sentences per page, subtext and theme handled with nuance, still suitable for school.",
        "Readers are 15 to 18 years old. Literary prose with varied rhythm, precise vocabulary and idioms, "
        "3 to 6 sentences per page, subtext handled with nuance, still suitable for school.",
    ),
}


def style_prefix(style: str) -> str:
    style = style.strip()
    if not style:
        return DEFAULT_STYLE
    return STYLE_PRESETS.get(style.lower(), style)


def writing_guidance(age_band: AgeBand, language: Language) -> str:
    """Age-appropriate writing guidance (sentence length, vocabulary) for the LLM prompts."""
    english, chinese = _AGE_GUIDANCE[age_band]
    return f"{english if language == 'en' else chinese} {LANGUAGE_INSTRUCTIONS[language]}"


# --- illustrations -------------------------------------------------------------------------------------
def scene_characters(book: Storybook, page: Page) -> list[Character]:
    return [book.character(name) for name in page.characters]


def illustration_prompt(book: Storybook, page: Page) -> str:
    """Style prefix + each scene character's sheet verbatim + the scene."""
    parts = [style_prefix(book.style)]
    parts.extend(character.sheet() for character in scene_characters(book, page))
    scene = page.illustration_prompt.strip() or page.text.strip()
    if scene:
        parts.append(f"Scene: {scene}")
    return ". ".join(part.rstrip(". ") for part in parts)


def illustration_seed(book: Storybook, page: Page) -> int:
    """The main (first) scene character's fixed seed; a page-stable seed when nobody is in the scene."""
    characters = scene_characters(book, page)
    if characters:
        return characters[0].seed
    return name_seed(f"{book.id}:{page.id}")


def portrait_prompt(book: Storybook, character: Character) -> str:
    """The prompt for a character's reference portrait."""
    return ". ".join(
        [style_prefix(book.style), character.sheet(), "full-body character portrait, plain light background"]
    )


# --- LLM steps -----------------------------------------------------------------------------------------
def _system(language: Language, age_band: AgeBand) -> ChatMessage:
    return ChatMessage(
        role="system",
        content=(
            "You write picture-book stories for school students. Stories are kind, safe for children, free of "
            "real people's names, brands and violence. "
            f"{writing_guidance(age_band, language)} Reply with one JSON object only, no other text."
        ),
    )


def _schema_hint(schema: type) -> str:
    return json.dumps(schema.model_json_schema(), ensure_ascii=False)  # type: ignore[attr-defined]


def outline_messages(
    theme: str,
    language: Language,
    age_band: AgeBand,
    pages: int,
    style: str = "",
    schema: type[Outline] = Outline,
) -> list[ChatMessage]:
    """Step 1: a title, synopsis, 1–4 characters and one beat per page."""
    user = (
        f"Theme: {theme.strip()}\n"
        f"Plan a picture book of exactly {pages} pages"
        + (f" to be illustrated as: {style_prefix(style)}" if style.strip() else "")
        + ". Give a title, a short synopsis, 1 to 4 main characters with their role, and exactly "
        f"{pages} beats, one per page, telling the story from beginning to end.\n"
        f"Answer as JSON matching this schema: {_schema_hint(schema)}"
    )
    return [_system(language, age_band), ChatMessage(role="user", content=user)]


def character_sheet_messages(
    outline: Outline, language: Language, age_band: AgeBand, style: str = ""
) -> list[ChatMessage]:
    """Step 2: a fixed visual description of every character, written in English for image models."""
    cast = "\n".join(f"- {c.name}: {c.role}" for c in outline.characters)
    user = (
        f"Story: {outline.title}. {outline.synopsis}\nCharacters:\n{cast}\n"
        f"Illustration style: {style_prefix(style)}.\n"
        "For each character write a fixed visual description in English that an illustrator repeats on "
        "every page: appearance (species or age, face, build), hair (colour and style), clothes (each garment "
        "with its colour), and a palette of 2 to 6 colour names. Keep each name exactly as given.\n"
        f"Answer as JSON matching this schema: {_schema_hint(CharacterSheet)}"
    )
    return [_system(language, age_band), ChatMessage(role="user", content=user)]


def page_texts_messages(
    outline: Outline,
    sheet: CharacterSheet,
    language: Language,
    age_band: AgeBand,
    schema: type[PageTexts] = PageTexts,
) -> list[ChatMessage]:
    """Step 3: the text of every page and, in English, the scene its illustration shows."""
    beats = "\n".join(f"{number}. {beat}" for number, beat in enumerate(outline.beats, 1))
    names = ", ".join(c.name for c in sheet.characters)
    user = (
        f"Story: {outline.title}. {outline.synopsis}\nBeats, one per page:\n{beats}\n"
        f"Characters: {names}\n"
        f"Write {len(outline.beats)} pages, one per beat. For each page give: text (the words printed on the "
        "page), scene (in English: place, action, mood of the illustration; do not describe the characters' "
        "looks, they are added automatically), and characters (names of the characters in the picture, "
        "spelled exactly as listed).\n"
        f"Answer as JSON matching this schema: {_schema_hint(schema)}"
    )
    return [_system(language, age_band), ChatMessage(role="user", content=user)]


def rewrite_page_messages(book: Storybook, page_id: str, instruction: str = "") -> list[ChatMessage]:
    """Regenerate one page alone, keeping its neighbours' story in view."""
    index = book.page_index(page_id)
    before = book.pages[index - 1].text if index > 0 else ""
    after = book.pages[index + 1].text if index + 1 < len(book.pages) else ""
    user = (
        f"Story: {book.title}\nPrevious page: {before or '(none, this is the first page)'}\n"
        f"Current page: {book.pages[index].text}\nNext page: {after or '(none, this is the last page)'}\n"
        f"Rewrite the current page so that it flows between its neighbours. {instruction.strip()}\n"
        f'Answer as JSON: {{"text": "...", "scene": "...", "characters": [...]}}'
    )
    return [_system(book.language, book.age_band), ChatMessage(role="user", content=user)]


def book_from_steps(
    outline: Outline,
    sheet: CharacterSheet,
    page_texts: PageTexts,
    *,
    language: Language,
    age_band: AgeBand,
    style: str = "",
    author: str = "",
    competition: str = "",
    theme: str = "",
) -> Storybook:
    """Assemble the LLM steps' outputs into a Storybook (no images yet)."""
    characters: list[Character] = []
    for look in sheet.characters:
        if any(c.name == look.name for c in characters):
            continue  # a model may repeat a character; the first description wins
        characters.append(
            Character(
                name=look.name, appearance=look.appearance, hair=look.hair, clothes=look.clothes,
                palette=list(look.palette),
            )
        )
    known = {c.name for c in characters}
    pages = [
        Page(
            id=f"p{number}",
            text=item.text,
            illustration_prompt=item.scene,
            # Names the model misspelt are dropped rather than failing the whole book.
            characters=list(dict.fromkeys(name for name in item.characters if name in known)),
        )
        for number, item in enumerate(page_texts.pages, 1)
    ]
    return Storybook(
        language=language, title=outline.title, author=author, competition=competition, theme=theme,
        age_band=age_band, style=style, characters=characters, pages=pages,
    )
