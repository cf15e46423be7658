"""Fine-tuning: LoRA training on a diffusers pipeline, training data sets, and LoRA file inspection (no Django).

- `dataset`: a folder of images and captions, validated file by file and screened by the safety layer;
- `lora`: trains a LoRA (torch, diffusers and peft are imported only when training starts);
- `inspect`: reads a LoRA `.safetensors` header without torch and never unpickles anything.
"""
