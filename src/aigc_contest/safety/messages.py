"""Kind, child-readable reasons for a refusal, in English, Traditional and Simplified Chinese.

A message says what kind of thing was the problem and what to do next. It never repeats the words or the
picture that were blocked.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

LANGUAGES = ("en", "zh-Hant", "zh-Hans")

MESSAGES: dict[str, dict[str, str]] = {
    "allowed": {
        "en": "This looks good. Have fun creating!",
        "zh-Hant": "看起來沒問題，盡情創作吧！",
        "zh-Hans": "看起来没问题，尽情创作吧！",
    },
    "sexual": {
        "en": "This idea is about grown-up private things, so we can't make it here. "
        "How about an adventure, a funny animal or a magical place instead?",
        "zh-Hant": "這個想法涉及成年人的私密內容，我們不能在這裡製作。試試冒險故事、有趣的動物或神奇的地方吧！",
        "zh-Hans": "这个想法涉及成年人的私密内容，我们不能在这里制作。试试冒险故事、有趣的动物或神奇的地方吧！",
    },
    "violence": {
        "en": "This idea has scary or hurtful violence in it. Heroes can be brave without hurting people "
        "badly - try changing that part.",
        "zh-Hant": "這個想法有可怕或傷害人的暴力內容。英雄不用傷害別人也可以很勇敢，試試修改那一部分吧。",
        "zh-Hans": "这个想法有可怕或伤害人的暴力内容。英雄不用伤害别人也可以很勇敢，试试修改那一部分吧。",
    },
    "weapons": {
        "en": "This idea asks about weapons that could really hurt people, so we can't help with it. "
        "Let's create something else.",
        "zh-Hant": "這個想法涉及可能真正傷害別人的武器，我們不能幫忙。一起創作別的東西吧。",
        "zh-Hans": "这个想法涉及可能真正伤害别人的武器，我们不能帮忙。一起创作别的东西吧。",
    },
    "self_harm": {
        "en": "It sounds like this might be about someone getting hurt. If you are feeling sad or unsafe, "
        "please talk to a teacher, a parent or another adult you trust. You are not alone.",
        "zh-Hant": "這聽起來可能和有人受傷有關。如果你感到難過或不安全，請告訴老師、家長或你信任的大人。你並不孤單。",
        "zh-Hans": "这听起来可能和有人受伤有关。如果你感到难过或不安全，请告诉老师、家长或你信任的大人。你并不孤单。",
    },
    "hate": {
        "en": "This has words that can hurt people because of who they are. Let's use words that are kind "
        "to everyone.",
        "zh-Hant": "這裡有些字詞會因為別人的身份而傷害他們。讓我們用對每個人都友善的字詞吧。",
        "zh-Hans": "这里有些字词会因为别人的身份而伤害他们。让我们用对每个人都友善的字词吧。",
    },
    "drugs": {
        "en": "This idea is about drugs that can harm people, so we can't make it here. "
        "Please choose a different idea.",
        "zh-Hant": "這個想法涉及會傷害身體的毒品，我們不能在這裡製作。請換一個想法吧。",
        "zh-Hans": "这个想法涉及会伤害身体的毒品，我们不能在这里制作。请换一个想法吧。",
    },
    "dangerous": {
        "en": "This idea is about something dangerous or against the rules that could get someone hurt or in "
        "trouble. Let's make something safe and fun instead.",
        "zh-Hant": "這個想法涉及危險或違反規則的事，可能會令人受傷或惹上麻煩。我們一起創作安全又好玩的東西吧。",
        "zh-Hans": "这个想法涉及危险或违反规则的事，可能会让人受伤或惹上麻烦。我们一起创作安全又好玩的东西吧。",
    },
    "profanity": {
        "en": "This has some rude words in it. Please try saying it in a kinder way.",
        "zh-Hant": "這裡有一些不禮貌的字詞。請試試用更友善的方式表達。",
        "zh-Hans": "这里有一些不礼貌的字词。请试试用更友善的方式表达。",
    },
    "personal_data": {
        "en": "It looks like this has private information, like a phone number, an email address or an ID "
        "number. Please keep that private and take it out.",
        "zh-Hant": "這裡好像有私人資料，例如電話號碼、電郵地址或身份證號碼。請保護好私隱，把它刪去。",
        "zh-Hans": "这里好像有个人信息，例如电话号码、电子邮箱或身份证号码。请保护好隐私，把它删去。",
    },
    "needs_review": {
        "en": "A teacher will look at this first, to check it is right for everyone here. You have not done "
        "anything wrong. Your teacher can tell you when it has been checked; meanwhile, you can work on "
        "another idea.",
        "zh-Hant": "老師會先看看這個內容，確定它適合這裡的每一個人。你沒有做錯任何事。老師檢查好後會告訴你；在這之前，你可以先做另一個想法。",
        "zh-Hans": "老师会先看看这个内容，确定它适合这里的每一个人。你没有做错任何事。老师检查好后会告诉你；在这之前，你可以先做另一个想法。",
    },
    "nsfw_image": {
        "en": "This picture isn't suitable for our creative space, so we can't use it. "
        "Please try a different picture.",
        "zh-Hant": "這張圖片不適合我們的創作空間，所以不能使用。請試試另一張圖片。",
        "zh-Hans": "这张图片不适合我们的创作空间，所以不能使用。请试试另一张图片。",
    },
    "unreadable_image": {
        "en": "We couldn't open this picture. Please try another image file.",
        "zh-Hant": "我們打不開這張圖片。請試試另一個圖片檔案。",
        "zh-Hans": "我们打不开这张图片。请试试另一个图片文件。",
    },
    "too_long": {
        "en": "This is too long for us to check. Please make it shorter.",
        "zh-Hant": "內容太長了，我們無法檢查。請把它縮短一點。",
        "zh-Hans": "内容太长了，我们无法检查。请把它缩短一点。",
    },
    "unchecked": {
        "en": "We couldn't check this right now, so we can't use it yet. Please try again later or ask your "
        "teacher for help.",
        "zh-Hant": "我們暫時未能檢查這個內容，所以還不能使用。請稍後再試，或請老師幫忙。",
        "zh-Hans": "我们暂时无法检查这个内容，所以还不能使用。请稍后再试，或请老师帮忙。",
    },
    "other": {
        "en": "This isn't something we can make here. Please try a different idea.",
        "zh-Hant": "這不是我們可以在這裡製作的內容。請換一個想法吧。",
        "zh-Hans": "这不是我们可以在这里制作的内容。请换一个想法吧。",
    },
}


# Said after the self-harm message: where a child can find help. The organiser's resources come first.
SELF_HARM_HELP: dict[str, dict[str, str]] = {
    "default": {
        "en": "You can also talk to your school social worker or counsellor.",
        "zh-Hant": "你也可以找學校社工或輔導老師傾訴。",
        "zh-Hans": "你也可以找学校社工或心理老师倾诉。",
    },
    "resources": {
        "en": "You can also get help here:",
        "zh-Hant": "你也可以向這些地方求助：",
        "zh-Hans": "你也可以向这些地方求助：",
    },
}


class HelpResource(BaseModel):
    """A place a child can turn to, as the organiser or school configures it (no number is ever made up)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=120)
    phone: str = Field(default="", max_length=40)
    url: str = Field(default="", max_length=300)

    def line(self) -> str:
        return " · ".join(part for part in (self.name, self.phone, self.url) if part)


def parse_help_resources(text: str) -> tuple[HelpResource, ...]:
    """One resource per line, "name | phone | web address" (phone and address optional)."""
    resources = []
    for raw in (text or "").splitlines():
        parts = [part.strip() for part in raw.split("|")]
        if not parts or not parts[0]:
            continue
        parts += ["", ""]
        resources.append(HelpResource(name=parts[0][:120], phone=parts[1][:40], url=parts[2][:300]))
    return tuple(resources)


def self_harm_message(
    language: str = "en", resources: tuple[HelpResource, ...] | list[HelpResource] = ()
) -> str:
    """The kind message for any self-harm signal: a trusted adult first, then the configured help."""
    lang = canonical_language(language)
    text = f"{MESSAGES['self_harm'][lang]} {SELF_HARM_HELP['default'][lang]}"
    if resources:
        lines = "\n".join(f"- {resource.line()}" for resource in resources)
        text += f"\n{SELF_HARM_HELP['resources'][lang]}\n{lines}"
    return text


def canonical_language(language: str | None) -> str:
    """Map a language tag ("zh-HK", "zh_TW", "zh-CN", "zh", "en-GB" ...) to one of LANGUAGES."""
    tag = (language or "en").replace("_", "-").lower()
    if not tag.startswith("zh"):
        return "en"
    if any(part in tag for part in ("hant", "-hk", "-tw", "-mo")):
        return "zh-Hant"
    return "zh-Hans"


def message_for(category: str | None, language: str = "en") -> str:
    texts = MESSAGES["allowed"] if category is None else MESSAGES.get(category, MESSAGES["other"])
    return texts[canonical_language(language)]
