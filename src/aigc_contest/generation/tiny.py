"""Random-weight test models, built from small configs in a few seconds with no downloads.

`build_tiny_models(DIR)` writes:
- DIR/image-tiny: an SD-style diffusers pipeline (tiny UNet, a 4-block VAE with scale factor 8 like real
  Stable Diffusion, a tiny CLIP text encoder whose byte-level tokenizer is built in-process);
- DIR/text-tiny: a tiny Qwen2 causal LM with a byte-level BPE trained in-process and a chat template;
- DIR/models.toml naming them `image-tiny` and `text-tiny` with `test_model = true`.

Everything goes through `save_pretrained`, so loading them exercises the real `from_pretrained` path.
Their outputs are noise and gibberish; pages label them "test model (random weights)".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

IMAGE_DIR = "image-tiny"
TEXT_DIR = "text-tiny"
MODELS_FILE = "models.toml"

# A ChatML-style template (the one Qwen models use), so the tiny LM is driven like a real instruct model.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Training text for the tiny BPE: English, both Chinese scripts and JSON punctuation, so common inputs
# tokenize into a few pieces rather than raw bytes only.
_BPE_CORPUS = [
    "A little cat sits on the moon. The children draw a story about a dragon and a robot.",
    '{"title": "The Moon Cat", "pages": [{"text": "Once upon a time", "image_prompt": "a cat"}]}',
    "一隻小貓在月亮上。一只小猫在月亮上。孩子們畫了一個關於龍和機器人的故事。",
    'true false null 0 1 2 3 4 5 6 7 8 9 , : [ ] { } " \\n',
]


def _byte_symbols() -> list[str]:
    """The 256 printable characters byte-level BPE uses for the 256 byte values (the GPT-2 convention):
    printable Latin-1 bytes stand for themselves, the others are shifted past U+0100."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    symbols: dict[int, str] = {b: chr(b) for b in printable}
    shifted = 0
    for b in range(256):
        if b not in symbols:
            symbols[b] = chr(256 + shifted)
            shifted += 1
    return [symbols[b] for b in range(256)]


def _clip_tokenizer() -> Any:  # transformers.CLIPTokenizer
    """A byte-level CLIP tokenizer with no merges: every byte is a token, no files needed."""
    from transformers import CLIPTokenizer

    symbols = _byte_symbols()
    vocab: dict[str, int] = {}
    for symbol in symbols:
        vocab[symbol] = len(vocab)
    for symbol in symbols:  # CLIP marks the last piece of each word with </w>
        vocab[symbol + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def build_image_pipeline(
    *,
    sample_size: int = 16,
    block_channels: tuple[int, ...] = (32, 64),
    vae_channels: tuple[int, ...] = (16, 16, 16, 16),
    text_hidden: int = 32,
    text_layers: int = 2,
    cross_attention_dim: int | None = None,
    seed: int = 0,
):  # -> diffusers.StableDiffusionPipeline
    """An SD-shaped pipeline with random weights; the defaults are tiny, the benchmark passes SD-1.5 sizes."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    tokenizer = _clip_tokenizer()
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=text_hidden,
            intermediate_size=text_hidden * 4 if text_hidden > 64 else 37,
            num_hidden_layers=text_layers,
            num_attention_heads=max(1, text_hidden // 64) if text_hidden > 64 else 4,
            max_position_embeddings=77,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    n_blocks = len(block_channels)
    unet = UNet2DConditionModel(
        sample_size=sample_size,
        in_channels=4,
        out_channels=4,
        block_out_channels=block_channels,
        layers_per_block=2 if block_channels[0] >= 320 else 1,
        down_block_types=("CrossAttnDownBlock2D",) * (n_blocks - 1) + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * (n_blocks - 1),
        cross_attention_dim=cross_attention_dim or text_hidden,
        attention_head_dim=8 if block_channels[0] >= 320 else 4,
        norm_num_groups=min(32, block_channels[0]),
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * len(vae_channels),
        up_block_types=("UpDecoderBlock2D",) * len(vae_channels),
        block_out_channels=vae_channels,
        layers_per_block=2 if vae_channels[0] >= 128 else 1,
        latent_channels=4,
        norm_num_groups=min(32, vae_channels[0]),
        sample_size=sample_size * 8,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        num_train_timesteps=1000,
        steps_offset=1,
    )
    return StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def build_text_tokenizer():  # -> transformers.PreTrainedTokenizerFast
    """A byte-level BPE trained in-process (a few hundredths of a second) with a ChatML chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(_BPE_CORPUS * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
        chat_template=CHAT_TEMPLATE,
    )


def build_text_model(seed: int = 0):  # -> (Qwen2ForCausalLM, PreTrainedTokenizerFast)
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = build_text_tokenizer()
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    model = Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def build_text_embedder(directory: str | Path, seed: int = 0) -> Path:
    """A tiny random BERT-shaped sentence encoder and its tokenizer (for `embedding` models), saved."""
    import torch
    from transformers import BertConfig, BertModel

    directory = Path(directory)
    tokenizer = build_text_tokenizer()
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
    )
    BertModel(config).save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)
    return directory


def build_clip_guard(directory: str | Path, seed: int = 0) -> Path:
    """A tiny random CLIP model and processor (for the `clip` guard backend), saved to `directory`."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    directory = Path(directory).expanduser()
    tokenizer = _clip_tokenizer()
    torch.manual_seed(seed)
    config = CLIPConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "max_position_embeddings": 77,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=16,
    )
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        tokenizer=tokenizer,
    )
    CLIPModel(config).save_pretrained(directory, safe_serialization=True)
    processor.save_pretrained(directory)
    return directory


def models_toml(directory: Path) -> str:
    """The models file naming both test models; paths are absolute so the file works from any folder."""
    image_path = (directory / IMAGE_DIR).resolve().as_posix()
    text_path = (directory / TEXT_DIR).resolve().as_posix()
    return f'''# Random-weight test models written by `aigc-contest models tiny`: outputs are noise and gibberish.

[[models]]
name = "text-tiny"
kind = "text"
backend = "transformers"
path = "{text_path}"
languages = ["en", "zh-Hans", "zh-Hant"]
test_model = true
defaults = {{ max_tokens = 64, temperature = 0.7 }}

[[models]]
name = "image-tiny"
kind = "image"
backend = "diffusers"
path = "{image_path}"
languages = ["en"]
test_model = true
defaults = {{ steps = 2, guidance = 5.0, size = "64x64", scheduler = "euler" }}
'''


def build_tiny_models(directory: str | Path) -> Path:
    """Write both tiny models and DIR/models.toml; returns the models file path."""
    directory = Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    build_image_pipeline().save_pretrained(directory / IMAGE_DIR, safe_serialization=True)
    model, tokenizer = build_text_model()
    model.save_pretrained(directory / TEXT_DIR, safe_serialization=True)
    tokenizer.save_pretrained(directory / TEXT_DIR)
    models_file = directory / MODELS_FILE
    models_file.write_text(models_toml(directory), encoding="utf-8")
    return models_file
