"""The two reference competitions, with the timeline moved so that submission is open today.

Schools, people and entries are fictional; the competitions follow their public descriptions: the Hong
Kong Inter-School AIGC Competition (primary, secondary and SEN categories; storybooks and interactive
novels on designated themes, an image on any theme for SEN) and the Wukong-Huahua AI Fine-Tuning and
Application Competition (theme "Science Fiction and Creativity"; fine-tuning and application tracks).
"""

from __future__ import annotations

import io
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from aigc_contest.web.accounts.models import GuardianConsent, Role, School, User
from aigc_contest.web.contests.models import DEFAULT_CRITERIA, Category, Competition, Criterion, Theme
from aigc_contest.web.contests.roles_services import decide_join_request, make_creator_owner, request_to_join
from aigc_contest.web.contests.timeline import typed
from aigc_contest.web.entries import services as entry_services
from aigc_contest.web.judging import services as judging_services

DEMO_PASSWORD = "aigc-demo-2024"
HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

DESCRIPTORS = {
    "0-3": "Little or no evidence",
    "4-6": "Some evidence, uneven",
    "7-8": "Clear and consistent",
    "9-10": "Outstanding",
}


@dataclass
class DemoLogin:
    username: str
    role: str
    note: str


def _timeline(zone: zoneinfo.ZoneInfo, deadline_day: date, **events: tuple[int, str]) -> dict[str, datetime]:
    """The timeline as an organiser types it: each field as (days from the deadline's day, "HH:MM") on the
    competition's clock, read by the one rule of `contests/timeline.py` (the deadline typed "23:59" lasts
    to the end of that minute)."""
    return {field: typed(deadline_day + timedelta(days=days), clock, zone, field)
            for field, (days, clock) in events.items()}


def _criteria(competition: Competition) -> None:
    for order, (key, en, hant, hans) in enumerate(DEFAULT_CRITERIA):
        Criterion.objects.create(
            competition=competition, key=key, name_en=en, name_zh_hant=hant, name_zh_hans=hans,
            weight=25, min_score=0, max_score=10, descriptors=DESCRIPTORS, order=order,
        )


def _hk_competition(now: datetime) -> Competition:
    # Real timeline: launch 4 Oct, deadline 30 Oct, results 13 Nov, ceremony 27 Nov 2024.
    deadline_day = (now.astimezone(HK) + timedelta(days=8)).date()
    competition = Competition.objects.create(
        slug="hk-inter-school-aigc",
        name_en="Hong Kong Inter-School AIGC Competition: Unleashing the Power of Qwen",
        name_zh_hant="香港學界 AIGC 創作大賽：釋放通義千問的力量",
        name_zh_hans="香港学界 AIGC 创作大赛：释放通义千问的力量",
        description_en=(
            "For all primary and secondary schools in Hong Kong, including special schools. Primary and secondary "
            "students use a large language model and a text-to-image model to create storybooks and interactive "
            "novels on the designated themes. Students with special educational needs create an image on any theme "
            "that expresses their interests, emotions or needs. Free to enter; every eligible participant receives a "
            "participation certificate."
        ),
        description_zh_hant=(
            "歡迎全港中小學（包括特殊學校）參加。中小學生運用大型語言模型及文生圖模型，按指定主題創作故事書及互動小說；"
            "有特殊教育需要的學生可以任何主題創作一幅圖像，表達自己的興趣、情感或需要。免費參加，所有合資格參賽者均獲發參與證書。"
        ),
        description_zh_hans=(
            "欢迎全港中小学（包括特殊学校）参加。中小学生运用大型语言模型及文生图模型，按指定主题创作故事书及互动小说；"
            "有特殊教育需要的学生可以任何主题创作一幅图像，表达自己的兴趣、情感或需要。免费参加，所有合资格参赛者均获发参与证书。"
        ),
        organiser_name="Demo organiser",
        timezone="Asia/Hong_Kong",
        **_timeline(HK, deadline_day, registration_opens_at=(-26, "09:00"), submission_opens_at=(-26, "09:00"),
                    submission_deadline=(0, "23:59"), judging_starts_at=(1, "00:00"), results_at=(14, "10:00"),
                    ceremony_at=(28, "15:00")),
    )
    themes = [
        Theme.objects.create(competition=competition, order=1, title_en="My Hong Kong, our future",
                             title_zh_hant="我的香港，我們的未來", title_zh_hans="我的香港，我们的未来"),
        Theme.objects.create(competition=competition, order=2, title_en="Friends across generations",
                             title_zh_hant="跨代好朋友", title_zh_hans="跨代好朋友"),
        Theme.objects.create(competition=competition, order=3, title_en="A greener city",
                             title_zh_hant="綠色城市", title_zh_hans="绿色城市"),
    ]
    categories = [
        ("primary", "Primary schools", "小學組", "小学组", ["primary"], ["storybook", "novel"], False, 1, 3),
        ("secondary", "Secondary schools", "中學組", "中学组", ["secondary"], ["storybook", "novel"], False, 1, 3),
        ("sen", "Schools for students with special educational needs", "特殊教育學校組", "特殊教育学校组",
         ["sen"], ["image"], True, 1, 2),
    ]
    for order, (slug, en, hant, hans, levels, types, any_theme, lo, hi) in enumerate(categories):
        category = Category.objects.create(
            competition=competition, slug=slug, order=order, name_en=en, name_zh_hant=hant, name_zh_hans=hans,
            school_levels=levels, work_types=types, any_theme=any_theme, min_team_size=lo, max_team_size=hi,
            submission_limit=5,
        )
        if not any_theme:
            category.themes.set(themes)
    _criteria(competition)
    return competition


def _wukong_competition(now: datetime) -> Competition:
    deadline_day = (now.astimezone(SHANGHAI) + timedelta(days=20)).date()
    competition = Competition.objects.create(
        slug="wukong-huahua-scifi",
        name_en="Wukong-Huahua AI Fine-Tuning and Application Competition",
        name_zh_hant="悟空畫畫 AI 微調與應用大賽",
        name_zh_hans="悟空画画 AI 微调与应用大赛",
        description_en=(
            "Theme: Science Fiction and Creativity. Teams either fine-tune a Chinese text-to-image diffusion model and "
            "create AI-generated works with it, or build an application on the model. First and second places are "
            "awarded in each track."
        ),
        description_zh_hant="主題：科幻與創意。參賽隊伍可微調中文文生圖擴散模型並以其創作 AIGC 作品，或基於模型開發應用。各賽道設一、二等獎。",
        description_zh_hans="主题：科幻与创意。参赛队伍可微调中文文生图扩散模型并以其创作 AIGC 作品，或基于模型开发应用。各赛道设一、二等奖。",
        organiser_name="Demo organiser",
        timezone="Asia/Shanghai",
        **_timeline(SHANGHAI, deadline_day, registration_opens_at=(-60, "09:00"),
                    submission_opens_at=(-45, "09:00"), submission_deadline=(0, "23:59"),
                    judging_starts_at=(1, "09:00"), results_at=(21, "10:00"), ceremony_at=(30, "14:00")),
    )
    theme = Theme.objects.create(competition=competition, order=1, title_en="Science Fiction and Creativity",
                                 title_zh_hant="科幻與創意", title_zh_hans="科幻与创意")
    tracks = [
        ("finetune", "Fine-tuning track", "微調賽道", "微调赛道", ["finetuned_model", "image"]),
        ("application", "Application track", "應用賽道", "应用赛道", ["application"]),
    ]
    for order, (slug, en, hant, hans, types) in enumerate(tracks):
        category = Category.objects.create(
            competition=competition, slug=slug, order=order, name_en=en, name_zh_hant=hant, name_zh_hans=hans,
            school_levels=["open"], work_types=types, any_theme=False, min_team_size=1, max_team_size=5,
            submission_limit=10, max_upload_mb=50,
        )
        category.themes.set([theme])
    _criteria(competition)
    return competition


def sample_png(seed: int, size: int = 384) -> bytes:
    """A colourful sample picture (drawn, not generated) standing in for an uploaded work."""
    image = Image.new("RGB", (size, size), (30 + seed * 40 % 200, 60, 140))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        r = size // 10 + (i * 7 + seed * 13) % (size // 4)
        x = (i * 97 + seed * 31) % size
        y = (i * 53 + seed * 17) % size
        draw.ellipse((x - r, y - r, x + r, y + r), fill=((i * 40 + seed * 60) % 255, (i * 90) % 255, 200 - i * 10))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def sample_pdf(title: str) -> bytes:
    pages = []
    for n in range(3):
        page = Image.new("RGB", (595, 842), "white")
        draw = ImageDraw.Draw(page)
        draw.text((60, 60), f"{title} - page {n + 1}", fill="black")
        draw.rectangle((60, 120, 535, 500), outline="navy", width=4)
        pages.append(page)
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:])
    return buffer.getvalue()


def _user(username: str, role: str, display_name: str, school: School | None = None, **extra: object) -> User:
    user = User(username=username, role=role, display_name=display_name, school=school, **extra)
    user.set_password(DEMO_PASSWORD)
    if role == Role.ORGANISER:
        user.is_staff = True
        user.is_superuser = True
    user.save()
    return user


def load_demo(now: datetime | None = None, *, train: bool = False) -> list[DemoLogin]:
    """Create both competitions and their people once; later calls change nothing. With `train` (the
    `demo` command), the fine-tuning entry's LoRA is trained at once on the tiny test model and sent."""
    now = now or timezone.now()
    if Competition.objects.filter(slug="hk-inter-school-aigc").exists():
        return demo_logins()
    with transaction.atomic():
        hk = _hk_competition(now)
        wukong = _wukong_competition(now)
        primary = School.objects.create(code="harbour-view-primary", name_en="Harbour View Primary School",
                                        name_zh_hant="海景小學", name_zh_hans="海景小学", level="primary",
                                        district="Eastern")
        secondary = School.objects.create(code="lion-rock-secondary", name_en="Lion Rock Secondary School",
                                          name_zh_hant="獅子山中學", name_zh_hans="狮子山中学", level="secondary",
                                          district="Wong Tai Sin")
        sen = School.objects.create(code="rainbow-bridge-school", name_en="Rainbow Bridge School",
                                    name_zh_hant="彩虹橋學校", name_zh_hans="彩虹桥学校", level="sen",
                                    district="Sha Tin")
        office = _user("organiser", Role.ORGANISER, "Competition office")
        for competition in (hk, wukong):
            make_creator_owner(office, competition)
        teachers = {
            "primary": _user("teacher.primary", Role.TEACHER, "Ms Chan", primary, email="teacher.primary@example.org"),
            "secondary": _user("teacher.secondary", Role.TEACHER, "Mr Lee", secondary,
                               email="teacher.secondary@example.org"),
            "sen": _user("teacher.sen", Role.TEACHER, "Ms Wong", sen, email="teacher.sen@example.org"),
        }
        students = {
            "primary": [_user("p.mei", Role.STUDENT, "Mei", primary, grade="P5"),
                        _user("p.kit", Role.STUDENT, "Kit", primary, grade="P5"),
                        _user("p.yan", Role.STUDENT, "Yan", primary, grade="P4")],
            "secondary": [_user("s.hoi", Role.STUDENT, "Hoi", secondary, grade="S3"),
                          _user("s.ling", Role.STUDENT, "Ling", secondary, grade="S3")],
            "sen": [_user("sen.bo", Role.STUDENT, "Bo", sen, grade="SEN", needs_support=True),
                    _user("sen.joy", Role.STUDENT, "Joy", sen, grade="SEN", needs_support=True)],
        }
        for level, group in students.items():
            for student in group[:-1] if level == "primary" else group:  # p.yan: consent still missing
                GuardianConsent.objects.create(student=student, method="paper", recorded_by=teachers[level])
        for n in range(1, 4):
            _user(f"judge{n}", Role.JUDGE, f"Judge {n}")
        for school in (primary, secondary, sen):  # the schools asked to take part and were let in
            join = request_to_join(teachers[school.level], hk, school)
            decide_join_request(office, join, approve=True)
        makers = [_user("maker.ada", Role.PARTICIPANT, "Ada", is_adult=True),
                  _user("maker.lin", Role.PARTICIPANT, "Lin", is_adult=True)]

        cats = {c.slug: c for c in hk.categories.all()}
        theme = hk.themes.first()
        team_p = entry_services.create_team(teachers["primary"], cats["primary"], name="Harbour Dreamers",
                                            members=students["primary"][:2])
        team_s = entry_services.create_team(teachers["secondary"], cats["secondary"], name="Lion Rock Writers",
                                            members=students["secondary"])
        team_sen = entry_services.create_team(teachers["sen"], cats["sen"], name="Rainbow Painters",
                                              members=students["sen"][:1])
        entry_services.create_team(teachers["primary"], cats["primary"], name="Little Inventors",
                                   members=students["primary"][2:])

        book = entry_services.start_entry(students["primary"][0], team_p, title="The Dragon Who Loved Dim Sum",
                                          work_type="storybook", theme=theme)
        entry_services.upload_draft_file(students["primary"][0], book, filename="dragon.pdf",
                                         data=sample_pdf("The Dragon Who Loved Dim Sum"))
        entry_services.submit_entry(students["primary"][0], book, now=now)
        novel = entry_services.start_entry(students["secondary"][0], team_s, title="Choices on the Star Ferry",
                                           work_type="novel", theme=theme)
        entry_services.upload_draft_file(students["secondary"][0], novel, filename="ferry.pdf",
                                         data=sample_pdf("Choices on the Star Ferry"))
        picture = entry_services.start_entry(students["sen"][0], team_sen, title="My Happy Garden", work_type="image")
        entry_services.upload_draft_file(students["sen"][0], picture, filename="garden.png", data=sample_png(3))
        entry_services.submit_entry(students["sen"][0], picture, now=now)

        wk = {c.slug: c for c in wukong.categories.all()}
        finetune = _finetune_entry(makers, wk["finetune"], wukong.themes.first())
        _application_entry(makers, wk["application"], wukong.themes.first(), now)
        _planted_near_duplicate(teachers["sen"], students["sen"][1], cats["sen"], now)
        _judging_panel(hk)
    if train:
        train_demo_lora(makers[0], finetune, now)
    with transaction.atomic():
        _judging_panel(wukong)  # after the training: the fine-tuning entry is submitted only once it has its LoRA
    return demo_logins()


DEMO_SAMPLE_PROMPTS = "a red rocket over a Martian ink-wash mountain\n水墨画风格的火星城市"
DEMO_CAPTIONS = ["an ink-wash painting of a Martian canyon", "an ink-wash rocket rising over red dunes",
                 "an ink-wash dome city on Mars", "an ink-wash rover under two moons",
                 "an ink-wash sunset over Olympus Mons", "an ink-wash astronaut beside a pine tree"]  # fmt: skip


def _finetune_entry(makers: list[User], category: Category, theme: Theme | None) -> Any:
    """The fine-tuning entry's draft: a training set (six pictures with captions, the declaration), a recipe
    within the organiser's limits (a tiny test model where the models file has one) and a description."""
    from aigc_contest.web.finetuning import selectors as finetune_selectors
    from aigc_contest.web.finetuning import services as finetune_services
    from aigc_contest.web.finetuning.models import FinetuneLimits
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    FinetuneLimits.objects.create(category=category, rank_min=1, rank_max=16, steps_min=4, steps_max=1000,
                                  resolution_min=64, resolution_max=768, budget_steps=2000,
                                  sample_prompts=DEMO_SAMPLE_PROMPTS)  # fmt: skip
    team = entry_services.create_team(makers[0], category, name="Nebula Brushes", members=makers)
    entry = entry_services.start_entry(makers[0], team, title="Martian Ink Wash (LoRA)", work_type="finetuned_model",
                                       theme=theme)  # fmt: skip
    maker = makers[0]
    work = work_services.start(maker, entry, WorkKind.FINETUNE)
    work, _report = finetune_services.add_images(maker, work, revision=work.revision,
                                                 files=[(f"mars-{i}.png", sample_png(10 + i)) for i in range(6)])  # fmt: skip
    work = finetune_services.save_set(maker, work, revision=work.revision, captions=DEMO_CAPTIONS, declaration=True)
    work = finetune_services.save_description(maker, work, revision=work.revision, description=(
        "Ink-wash painting meets science fiction: a LoRA that paints Martian cities, rockets and canyons in the "
        "brush style of Chinese landscape painting."))  # fmt: skip
    bases = [name for name in finetune_selectors.allowed_bases(finetune_selectors.limits_for(category))
             if _is_test_model(name)]  # fmt: skip
    if bases:
        recipe = {"base": bases[0], "rank": 4, "steps": 8, "resolution": 64, "learning_rate": 1e-3, "seed": 7}
        work = finetune_services.save_recipe(maker, work, revision=work.revision, recipe=recipe)
    return work


def _is_test_model(name: str) -> bool:
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        return bool(shared_registry().get(name).test_model)
    except (RegistryError, KeyError, LookupError):
        return False


FINETUNE_NOTE = ""  # what happened to the demo's training run, for the demo's logins list


def train_demo_lora(maker: User, work: Any, now: datetime) -> str:
    """Train the fine-tuning entry's LoRA through the platform (a job on the training queue, run here) on the
    tiny test model, then send the entry: loss curve, sample pictures, LoRA and model card are real. Skipped,
    with a note, without the ml extra or without a tiny trainable model in the models file."""
    global FINETUNE_NOTE
    import logging

    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.finetuning import services as finetune_services
    from aigc_contest.web.jobs.runner import run_available
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import Work

    try:
        import diffusers  # noqa: F401
        import peft  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        FINETUNE_NOTE = "no LoRA trained: install the ml extra to train one when the demo loads"
    else:
        if not (work.document or {}).get("recipe"):
            FINETUNE_NOTE = "no LoRA trained: the models file has no tiny trainable picture model"
        else:
            try:
                finetune_services.start_training(maker, work)
                run_available("training")
                work = work_services.sync(Work.objects.get(pk=work.pk))
                if (work.document or {}).get("lora"):
                    work_services.submit(maker, work, now)
                    FINETUNE_NOTE = "LoRA trained on the tiny test model when the demo loaded, entry sent"
                else:
                    FINETUNE_NOTE = "the demo's training run did not finish; see the fine-tuning page"
            except ServiceError as exc:
                FINETUNE_NOTE = f"no LoRA trained: {exc.message}"
    logging.getLogger(__name__).info("demo fine-tuning: %s", FINETUNE_NOTE)
    return FINETUNE_NOTE


def _application_entry(makers: list[User], category: Category, theme: Theme | None, now: datetime) -> Any:
    """A submitted application built on the model: details in three languages, https links, screenshots."""
    from aigc_contest.web.applications import services as app_services
    from aigc_contest.web.works import services as work_services
    from aigc_contest.web.works.models import WorkKind

    maker = makers[0]
    team = entry_services.create_team(maker, category, name="Nebula Apps", members=makers)
    entry = entry_services.start_entry(maker, team, title="Star Postcards", work_type="application", theme=theme)
    work = work_services.start(maker, entry, WorkKind.APPLICATION)
    work = app_services.save_details(maker, work, revision=work.revision, values={
        "name": "Star Postcards",
        "description": {"en": "Type a wish for the future; the app paints a science-fiction postcard with the "
                              "Wukong-Huahua model and prints the AI-generated label on it.",
                        "zh-Hant": "寫下對未來的願望，應用以悟空畫畫模型繪製科幻明信片，並印上 AI 生成標識。",
                        "zh-Hans": "写下对未来的愿望，应用以悟空画画模型绘制科幻明信片，并印上 AI 生成标识。"},
        "repository_url": "https://example.org/nebula/star-postcards",
        "demo_url": "https://example.org/star-postcards/",
        "models_used": ["Wukong-Huahua text-to-image"],
    })  # fmt: skip
    for seed, alt in ((21, "Writing a wish"), (22, "The finished postcard")):
        work = app_services.add_screenshot(maker, work, revision=work.revision, data=sample_png(seed), alt=alt)
    work_services.submit(maker, work, now)
    return work


def near_copy_png(seed: int) -> bytes:
    """``sample_png(seed)`` resized and a little brighter: a near-copy the duplicates report should find."""
    from PIL import Image, ImageEnhance

    image = Image.open(io.BytesIO(sample_png(seed))).convert("RGB").resize((352, 352))
    buffer = io.BytesIO()
    ImageEnhance.Brightness(image).enhance(1.06).save(buffer, format="PNG")
    return buffer.getvalue()


def _planted_near_duplicate(teacher: User, student: User, category: Category, now: datetime) -> None:
    """A second SEN entry whose picture is a near-copy of "My Happy Garden", for the advisory signals."""
    from aigc_contest.web.entries import services as entry_services

    team = entry_services.create_team(teacher, category, name="Sunny Brushes", members=[student])
    entry = entry_services.start_entry(student, team, title="Flowers in the Sun", work_type="image")
    entry_services.upload_draft_file(student, entry, filename="flowers.png", data=near_copy_png(3))
    entry_services.submit_entry(student, entry, now=now)


def _judging_panel(competition: Competition) -> None:
    """A scoring round with the three demo judges, each submitted entry given to two of them."""
    organiser = User.objects.get(username="organiser")
    round_ = judging_services.open_round(organiser, competition, "scoring", k=2)
    for judge in User.objects.filter(role=Role.JUDGE).order_by("username"):
        judging_services.add_judge(organiser, round_, judge, max_load=20)
    judging_services.assign_judges(organiser, round_, early=True)  # the demo judges start before the deadline


def demo_logins() -> list[DemoLogin]:
    notes = {
        "organiser": "sets up competitions (also /admin/)",
        "teacher.primary": "registers students, forms teams, records consent",
        "p.mei": "primary student with a submitted storybook",
        "s.hoi": "secondary student with a draft interactive novel",
        "sen.bo": "SEN student with a submitted image",
        "judge1": "judge",
        "maker.ada": "adult participant, Wukong-Huahua fine-tuning and application entries"
                     + (f" ({FINETUNE_NOTE})" if FINETUNE_NOTE else ""),
    }
    return [DemoLogin(u, User.objects.get(username=u).role, n) for u, n in notes.items() if User.objects.filter(username=u).exists()]
