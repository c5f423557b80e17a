#!/usr/bin/python3
"""Renders the official chat templates in this folder the way Hugging Face transformers does
(apply_chat_template: jinja2 ImmutableSandboxedEnvironment, trim_blocks and lstrip_blocks on,
the loopcontrols extension, a raise_exception global, bos_token/eos_token and
add_generation_prompt as variables) over conversations.json, and writes expected.json.

Run from anywhere with Debian's Python and python3-jinja2:
    /usr/bin/python3 tests/data/templates/render_fixtures.py
"""
import json
import os

from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))

# family -> (template file, bos_token, eos_token) as in each model's tokenizer_config.json
FAMILIES = {
    "llama-2": ("llama-2.jinja", "<s>", "</s>"),
    "llama-3": ("llama-3.jinja", "<|begin_of_text|>", "<|end_of_text|>"),
    "chatml": ("chatml.jinja", "<|im_start|>", "<|im_end|>"),
    "qwen2": ("qwen2.jinja", None, "<|endoftext|>"),
    "qwen2.5": ("qwen2.5.jinja", None, "<|im_end|>"),
    "mistral": ("mistral.jinja", "<s>", "</s>"),
    "mistral-legacy": ("mistral-legacy.jinja", "<s>", "</s>"),
    "plain": ("plain.jinja", "<s>", "</s>"),
}


# Families whose template strips message content (Llama-2: content.strip(); Llama-3: | trim).
STRIPPING = {"llama-2", "llama-3"}

# What each family's template renders right after an assistant message's content.
END_OF_TURN = {
    "llama-2": " </s>",
    "llama-3": "<|eot_id|>",
    "chatml": "<|im_end|>",
    "qwen2": "<|im_end|>",
    "qwen2.5": "<|im_end|>",
    "mistral": "</s>",
    "mistral-legacy": "</s>",
    "plain": "</s>",
}


def raise_exception(message):
    raise TemplateError(message)


def compile_template(source):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.globals["raise_exception"] = raise_exception
    return env.from_string(source)


def main():
    with open(os.path.join(HERE, "conversations.json"), encoding="utf-8") as f:
        conversations = json.load(f)
    cases = []
    for family, (file_name, bos, eos) in FAMILIES.items():
        with open(os.path.join(HERE, file_name), encoding="utf-8", newline="") as f:
            template = compile_template(f.read())
        special = {}
        if bos is not None:
            special["bos_token"] = bos
        if eos is not None:
            special["eos_token"] = eos
        for name, messages in conversations.items():
            for add_generation_prompt in (False, True):
                case = {
                    "family": family,
                    "conversation": name,
                    "add_generation_prompt": add_generation_prompt,
                    "bos_token": bos,
                    "eos_token": eos,
                    "end_of_turn": END_OF_TURN[family],
                    # each assistant message's content as the template renders it (Python's str.strip)
                    "assistant_contents": [
                        m["content"].strip() if family in STRIPPING else m["content"]
                        for m in messages if m["role"] == "assistant"
                    ],
                }
                try:
                    case["text"] = template.render(
                        messages=messages, add_generation_prompt=add_generation_prompt, **special)
                except TemplateError as e:
                    case["error"] = str(e)
                cases.append(case)
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(cases, f, indent=1, ensure_ascii=True)
        f.write("\n")
    print(f"wrote {len(cases)} cases")


if __name__ == "__main__":
    main()
