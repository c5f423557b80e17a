#!/usr/bin/env python3
"""Runs Hugging Face transformers' own model classes on the fixture folders (see README.md,
"Checked against transformers") and writes `transformers.safetensors` beside each
`expected.safetensors`.

Needs torch and transformers (any recent version); run where they are installed:
    python3 tests/data/reference/make_transformers_reference.py OUT_DIR [STORIES260K_HF_DIR]
Everything is computed in float64 on the CPU with eager attention, so the result does not depend
on GPU kernels. It prints how far transformers is from the committed `expected.safetensors`
(our own float64 reference) and stops on disagreement.
"""
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

import safetensors_io  # noqa: E402

VARIANTS = ["llama-gqa", "llama3-rope", "qwen2-bias", "smollm-tied", "mistral", "headdim", "llama-bf16"]
TRAIN_VARIANTS = {"llama-gqa", "qwen2-bias", "smollm-tied"}  # gradients and one AdamW step
PROMPT_TOKENS = 3  # label positions masked with -100, as prompt masking does
ADAMW = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)


def load(folder):
    model, info = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64, attn_implementation="eager",
                                                       output_loading_info=True)
    assert not any(info.values()), f"{folder}: {info}"  # every weight read, none initialised at random
    model.eval()
    return model


def check(variant, model_dir, expected_path, out_dir, train):
    expected = safetensors_io.load(expected_path)
    ids = expected["input_ids"]
    model = load(model_dir)
    labels = ids.clone()
    labels[:, :PROMPT_TOKENS] = -100
    out = model(input_ids=ids, labels=labels, output_hidden_states=True)
    logits, hidden = out.logits.detach(), out.hidden_states[-1].detach()
    d_logits = (logits - expected["logits"].double()).abs().max().item()
    d_hidden = (hidden - expected["hidden"].double()).abs().max().item()
    greedy = model.generate(ids[:1], do_sample=False, max_new_tokens=expected["greedy_ids"].shape[1],
                            min_new_tokens=expected["greedy_ids"].shape[1], pad_token_id=0)[:, ids.shape[1]:]
    same_greedy = torch.equal(greedy, expected["greedy_ids"])
    # Per-token cross-entropy of the shifted targets, independent of transformers' loss helper.
    logp = torch.log_softmax(logits[:, :-1], dim=-1)
    target = labels[:, 1:]
    mask = target != -100
    nll = -logp.gather(-1, target.clamp(min=0).unsqueeze(-1)).squeeze(-1) * mask
    manual = (nll.sum() / mask.sum()).item()
    print(f"{variant}: max|logits - ours| {d_logits:.2e}, max|hidden - ours| {d_hidden:.2e}, "
          f"greedy equal {same_greedy}, loss {out.loss.item():.12f} (by hand {manual:.12f})")
    # transformers computes the RoPE angles in float32 whatever the model's dtype, where our reference
    # uses float64; the README's tolerance guide measured that difference at up to 5.8e-6.
    scale = max(1.0, expected["logits"].abs().max().item())
    assert d_logits <= 1e-5 * scale and d_hidden <= 1e-5 * max(1.0, hidden.abs().max().item()), variant
    assert same_greedy, variant
    # transformers' loss helper upcasts logits with .float(), which rounds float64 down to float32.
    assert abs(out.loss.item() - manual) <= 1e-6 * max(1.0, manual), variant
    tensors = {
        "input_ids": ids, "labels": labels, "logits": logits.float(), "hidden": hidden.float(),
        "loss": torch.tensor([manual], dtype=torch.float64), "hf_loss": out.loss.detach().reshape(1), "token_nll": nll.detach(), "greedy_ids": greedy,
    }
    if train:
        model.train()
        out.loss.backward()
        names = dict(model.named_parameters())
        for name, p in names.items():
            tensors["grad." + name] = p.grad.detach().float()
        opt = torch.optim.AdamW(model.parameters(), **ADAMW)
        opt.step()
        for name, p in names.items():
            tensors["adamw1." + name] = p.detach().float()
    os.makedirs(os.path.join(out_dir, variant), exist_ok=True)
    safetensors_io.save(os.path.join(out_dir, variant, "transformers.safetensors"), tensors,
                        {"transformers": transformers.__version__, "torch": torch.__version__,
                         "adamw": repr(ADAMW), "prompt_tokens": str(PROMPT_TOKENS)})


def main():
    out_dir = sys.argv[1]
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    for v in VARIANTS:
        check(v, os.path.join(HERE, v), os.path.join(HERE, v, "expected.safetensors"), out_dir, v in TRAIN_VARIANTS)
    if len(sys.argv) > 2:
        check("stories260k", sys.argv[2], os.path.join(HERE, "stories260k", "expected.safetensors"), out_dir, True)


if __name__ == "__main__":
    main()
