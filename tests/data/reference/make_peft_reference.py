#!/usr/bin/env python3
"""Writes LoRA adapters with PEFT itself and the logits they give (see README.md, "Checked against
transformers and PEFT").

Needs torch, transformers and peft; run where they are installed:
    python3 tests/data/reference/make_peft_reference.py OUT_DIR
For each case it wraps a fixture model with peft.get_peft_model, gives lora_B seeded random values
(PEFT initialises B to zero, which would make any adapter look right), saves the adapter with
save_pretrained (PEFT's own adapter_config.json and adapter_model.safetensors), and stores the
float64 logits with the adapter applied and the merged weights of merge_and_unload.
"""
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import peft  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

import safetensors_io  # noqa: E402

CASES = {
    # name: (fixture, LoraConfig arguments)
    "peft-lora-gqa": ("llama-gqa", dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"])),
    "peft-rslora-tied": ("smollm-tied", dict(r=2, lora_alpha=3, use_rslora=True, target_modules="all-linear")),
}


def main():
    out_dir = sys.argv[1]
    print(f"torch {torch.__version__}, peft {peft.__version__}")
    for name, (fixture, args) in CASES.items():
        folder = os.path.join(HERE, fixture)
        ids = safetensors_io.load(os.path.join(folder, "expected.safetensors"))["input_ids"]
        base = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64, attn_implementation="eager")
        base.eval()
        with torch.no_grad():
            base_logits = base(input_ids=ids).logits.clone()
        model = peft.get_peft_model(base, peft.LoraConfig(task_type="CAUSAL_LM", lora_dropout=0.0, **args))
        gen = torch.Generator().manual_seed(1234)
        with torch.no_grad():
            for pname, p in model.named_parameters():
                if "lora_B" in pname:
                    p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * 0.5)
        model.eval()
        case_dir = os.path.join(out_dir, name)
        adapter_dir = os.path.join(case_dir, "adapter")
        model.to(torch.float32).save_pretrained(adapter_dir, safe_serialization=True)
        model.to(torch.float64)
        with torch.no_grad():
            logits = model(input_ids=ids).logits
            merged = model.merge_and_unload()
            merged_logits = merged(input_ids=ids).logits
        moved = (logits - base_logits).abs().max().item()
        merge_gap = (logits - merged_logits).abs().max().item()
        print(f"{name}: adapter moves logits by up to {moved:.3f}; merged vs adapter {merge_gap:.2e}")
        assert moved > 0.1 and merge_gap < 1e-9, name
        tensors = {"input_ids": ids, "logits": logits.float()}
        for pname, p in merged.state_dict().items():
            tensors["merged." + pname] = p.float()
        safetensors_io.save(os.path.join(case_dir, "expected.safetensors"), tensors,
                            {"peft": peft.__version__, "torch": torch.__version__, "fixture": fixture})


if __name__ == "__main__":
    main()
