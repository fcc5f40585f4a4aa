#!/usr/bin/env python3
"""Chat-template goldens: every real template rendered by Python jinja2 exactly as transformers does.

Run from the repository root (needs jinja2 3.1.x; the npm-fetched files come from .ci/fetch-tokenizers):

    .ci/fetch-tokenizers && python3 engine/src/test/resources/chat/make_goldens.py

Writes engine/src/test/resources/chat/goldens.json. ChatTemplateGoldenTest renders every case with the
engine's own Jinja interpreter and compares byte for byte.

The environment mirrors transformers' utils/chat_template_utils.py (_compile_jinja_template and
render_jinja_template): ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
extensions=[loopcontrols]), the `tojson` filter as json.dumps(ensure_ascii=False, ...), the globals
raise_exception and strftime_now; render(messages=..., tools=None, documents=None,
add_generation_prompt=..., **special_tokens_map, **kwargs). strftime_now reads a fixed date here (and in
the Java test) so the goldens do not change from day to day.
"""
import datetime
import hashlib
import json
import os
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 5))
COMMITTED = os.path.join(ROOT, "engine", "src", "test", "resources", "tokenizers")
FETCHED = os.path.join(ROOT, ".cache", "tokenizers")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "goldens.json")
FIXED_NOW = datetime.datetime(2026, 7, 26, 9, 30, 5)

# (name, where its tokenizer_config.json is: "committed" or "fetched")
TEMPLATES = [
    ("qwen3", "committed"),
    ("qwen2_5", "committed"),
    ("mistral_nemo", "committed"),
    ("llama3_1", "fetched"),
    ("llama3_2", "fetched"),
    ("gemma3", "fetched"),
    ("deepseek_v3", "fetched"),
]

# Phi-3-mini-4k-instruct's template as published in its tokenizer_config.json (MIT); no npm package ships it.
INLINE = {
    "phi3": {
        "chat_template": "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}"
        "{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}"
        "{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}"
        "{% else %}{{ eos_token }}{% endif %}",
        "bos_token": "<s>",
        "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "unk_token": "<unk>",
    },
}

SPECIAL_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]

SYSTEM = {"role": "system", "content": "You are a terse assistant. Réponds brièvement."}
USER1 = {"role": "user", "content": "  What is 2+2? 你好, привет 👋  "}
ASSIST1 = {"role": "assistant", "content": "4.\n"}
ASSIST_THINK = {"role": "assistant", "content": "<think>\nThe user adds.\n</think>\n\n4."}
USER2 = {"role": "user", "content": "And `print(\"x\")` in Python?\n"}
ASSIST2 = {"role": "assistant", "content": "It prints x."}

CASES = [
    ("user", [USER1], True, {}),
    ("user_no_generation_prompt", [USER1], False, {}),
    ("system_user", [SYSTEM, USER1], True, {}),
    ("multi_turn", [USER1, ASSIST1, USER2], True, {}),
    ("system_multi_turn", [SYSTEM, USER1, ASSIST1, USER2], True, {}),
    ("system_multi_turn_no_generation_prompt", [SYSTEM, USER1, ASSIST1, USER2, ASSIST2], False, {}),
    ("ends_with_assistant", [USER1, ASSIST2], False, {}),
    ("assistant_first", [ASSIST1, USER1], True, {}),
]
QWEN3_CASES = [
    ("thinking_off", [USER1], True, {"enable_thinking": False}),
    ("thinking_on", [USER1], True, {"enable_thinking": True}),
    ("thinking_off_multi_turn", [SYSTEM, USER1, ASSIST_THINK, USER2], True, {"enable_thinking": False}),
    ("reasoning_in_last_turn", [USER1, ASSIST_THINK], False, {}),
    ("reasoning_content_field", [USER1, dict(ASSIST2, reasoning_content="\nShort.\n")], False, {}),
]


# Small templates that pin the interpreter's Jinja2/Python semantics feature by feature (name, template, variables).
FEATURES = [
    ("str_methods", "{{ s.startswith('  a') }} {{ s.endswith(('x', ' ')) }} {{ s.split() }} {{ s.split(',') }} {{ s.split(',', 1) }}"
     " {{ s.rsplit(',', 1) }} [{{ s.strip() }}] [{{ s.lstrip() }}] [{{ s.rstrip(' ,') }}] {{ s.upper() }} {{ s.lower() }}"
     " {{ s.replace('b', 'B') }} {{ s.find('b') }} {{ s.count(',') }} {{ s.title() }} {{ '-'.join(['x', 'y']) }}",
     {"s": "  a,b ,c  "}),
    ("slices", "{{ xs[::-1] }} {{ xs[1:] }} {{ xs[:-1] }} {{ xs[::2] }} {{ xs[-2:] }} {{ t[::-1] }} {{ t[1:3] }} {{ xs[-1] }} {{ t[0] }}"
     "{{ xs[9] is defined }}", {"xs": [1, 2, 3, 4, 5], "t": "héllo👋"}),
    ("namespace_and_loop", "{% set ns = namespace(n=0, last='') %}{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}"
     "/{{ loop.length }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}{{ loop.previtem is defined }}"
     "{% set ns.n = ns.n + x %}{% set local = x %};{% endfor %}{{ ns.n }} {{ local is defined }}", {"xs": [3, 4, 5]}),
    ("loop_filter_else_controls", "{% for x in xs if x % 2 %}{{ x }}:{{ loop.length }},{% else %}none{% endfor %}|"
     "{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x > 4 %}{% break %}{% endif %}{{ x }}{% endfor %}",
     {"xs": [1, 2, 3, 4, 5, 6]}),
    ("tests", "{{ u is defined }} {{ n is none }} {{ f is false }} {{ f is sameas false }} {{ s is string }} {{ d is mapping }}"
     " {{ xs is iterable }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 1 is number }} {{ 1.5 is float }}"
     " {{ 'k' in d }} {{ 'z' not in d }} {{ d.k is defined }} {{ d.z is undefined }} {{ n is not none }}",
     {"n": None, "f": False, "s": "x", "d": {"k": 1}, "xs": [1]}),
    ("tojson", "{{ v | tojson }}\n{{ v | tojson(indent=2) }}\n{{ v | tojson(ensure_ascii=True) }}\n{{ v | tojson(sort_keys=True) }}"
     "\n{{ v | tojson(separators=(',', ':')) }}\n{{ [] | tojson }}{{ {} | tojson }}{{ 'a\"b\\\\c\\n\\t\\u0001' | tojson }}",
     {"v": {"name": "héllo 你好 👋", "n": [1, 2.5, -0.0, 1e16, 1e-05, 123456789.125, None, True], "z": {"b": {}, "a": []}}}),
    ("printing", "{{ none }} {{ true }} {{ 1.0 }} {{ 1/3 }} {{ 2**10 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 1e20 }} {{ 0.0001 }}"
     " {{ [1, 'a', none, 'it\\'s', {'k': (1,)}] }} {{ (1, 2) }} {{ 'x' ~ 1 ~ none }} {{ 'ab' * 2 }} {{ [1] + [2] }}", {}),
    ("filters", "{{ xs | length }} {{ xs | first }} {{ xs | last }} {{ xs | join(', ') }} {{ xs | reverse | list }} {{ ms | map(attribute='role') | list }}"
     " {{ ms | selectattr('role', 'equalto', 'user') | list | length }} {{ ms | rejectattr('role', 'equalto', 'user') | map(attribute='content') | join }}"
     " {{ ms | selectattr('x', 'undefined') | list | length }} {{ '  t  ' | trim }} {{ 'ab' | upper }} {{ u | default('dflt') }}"
     " {{ '' | default('e', true) }} {{ d | items | list }} {{ d | dictsort }} {{ [3, 1, 2] | sort }} {{ [1, 1, 2] | unique | list }}"
     " {{ xs | sum }} {{ xs | max }} {{ '3' | int + 1 }} {{ 'x' | float }} {{ 2.675 | round(2) }} {{ 'a\\nb' | indent(2, first=true) }}"
     " {{ 'hello world' | title }} {{ 'hello' | capitalize }} {{ '<a>' | e }} {{ xs | select('odd') | list }} {{ 5 | string + '!' }}",
     {"xs": [1, 2, 3], "ms": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b", "x": 1}], "d": {"b": 2, "a": 1}}),
    ("dict_methods", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d.keys() | list }} {{ d.values() | list }} {{ d.get('a') }}"
     " {{ d.get('z', 'no') }} {{ d['a'] }} {{ d.a }}", {"d": {"a": 1, "b": [2]}}),
    ("whitespace", "  {% if true %}\n  kept\n  {% endif %}\n{%- if true -%}\n  stripped  \n{%- endif %}\n  {{ 'var' }}  {# c #}\n"
     "line {#- c -#}  end\n{%+ if true %}plus{% endif +%}\nafter\n    {%- raw %}{{ not parsed }}{% endraw %}\n\ttab\n", {}),
    ("macro_and_set_block", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', punct='?') }}"
     "{% set block %}inside {{ 1 + 1 }}{% endset %} [{{ block }}]{% set a, b = [1, 2] %} {{ a }}{{ b }}{% filter upper %}up{% endfilter %}", {}),
    ("conditionals", "{{ 'y' if t else 'n' }}{{ 'y' if f else 'n' }}[{{ 'y' if f }}]{{ t and 'and' }}{{ f or 'or' }}{{ not t }}"
     "{{ 1 < 2 < 3 }}{{ 3 > 2 > 2 }}{{ 'a' < 'b' }}{{ [1, 2] == [1, 2] }}{{ 1 == 1.0 }}{{ true == 1 }}{{ none == false }}",
     {"t": True, "f": False}),
    ("strftime_and_range", "{{ strftime_now('%d %b %Y %H:%M:%S %A %B %j') }} {{ range(3) | list }} {{ range(1, 7, 2) | list }}"
     " {{ dict(a=1) }}", {}),
    ("percent_format_and_undefined", "{{ '%s=%d' % ('a', 2) }} {{ '%05.2f|%-4s|%r|%%' % (3.14159, 'x', 'y') }} {{ '[%s]' % none }}"
     " {{ 'x' in u }} {{ u | join(',') }}|{{ u | trim }}|{{ u or 'd' }} {{ u is iterable }}", {}),
    ("raise", "{% if x %}{{ raise_exception('x is not allowed') }}{% endif %}", {"x": 1}),
    ("undefined_attribute_error", "{{ missing.attr }}", {}),
]


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def token_text(v):
    return v if isinstance(v, str) or v is None else v.get("content")


def load_config(name, where):
    if where == "inline":
        return INLINE[name]
    folder = COMMITTED if where == "committed" else FETCHED
    path = os.path.join(folder, name, "tokenizer_config.json")
    if not os.path.exists(path):
        sys.exit(f"{path} missing: run .ci/fetch-tokenizers first")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    env = environment()
    out = {"fixed_now": FIXED_NOW.isoformat(), "jinja2": jinja2.__version__, "templates": {}}
    entries = TEMPLATES + [(n, "inline") for n in INLINE]
    for name, where in entries:
        config = load_config(name, where)
        source = config["chat_template"]
        special = {k: token_text(config.get(k)) for k in SPECIAL_KEYS if token_text(config.get(k)) is not None}
        template = env.from_string(source)
        cases = []
        for case, messages, agp, kwargs in CASES + (QWEN3_CASES if name == "qwen3" else []):
            entry = {"name": case, "messages": messages, "add_generation_prompt": agp, "kwargs": kwargs}
            try:
                entry["expected"] = template.render(messages=messages, tools=None, documents=None, add_generation_prompt=agp,
                                                    **special, **kwargs)
            except jinja2.exceptions.TemplateError as e:
                entry["error"] = str(e)
            cases.append(entry)
        out["templates"][name] = {
            "where": where,
            "sha256": hashlib.sha256(source.encode("utf-8")).hexdigest(),
            "special_tokens": special,
            "source": source if where == "inline" else None,
            "cases": cases,
        }
    out["features"] = []
    for name, source, variables in FEATURES:
        entry = {"name": name, "source": source, "variables": variables}
        try:
            entry["expected"] = env.from_string(source).render(**variables)
        except jinja2.exceptions.TemplateError as e:
            entry["error"] = f"{type(e).__name__}: {e}"
        out["features"].append(entry)
    with open(OUT + ".tmp", "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(OUT + ".tmp", OUT)
    print(f"wrote {OUT}: {sum(len(t['cases']) for t in out['templates'].values())} cases")


if __name__ == "__main__":
    main()
