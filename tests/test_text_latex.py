"""The LaTeX forms real titles and abstracts carry: what HTML shows, what plain text says, and
what an id is made of, for each form, in titles and in abstracts alike."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paper_catalogue.text import (abstract_html, author_macros, find_links, id_text, plain_text, spoken,
                                  title_html, title_text)
from paper_catalogue.urls import paper_id, title_key

from bench.latex_fidelity import latex_leaks, lost_words, page_text, script_leaks
from test_text import markup_problems, visible_text

# (source, plain text) for each form the listings carry.
FORMS = [
    # maths in titles
    (r"$\textit{Trans-LoRA}$: towards data-free", "Trans-LoRA: towards data-free"),
    (r"$\nabla^2$DFT: a dataset", "∇²DFT: a dataset"),
    ("$τ$-bench: a benchmark", "τ-bench: a benchmark"),
    (r"$\tau$-bench: a benchmark", "τ-bench: a benchmark"),
    ("L$^2$M: mutual information", "L²M: mutual information"),
    ("$μ$LO: learned optimizers", "μLO: learned optimizers"),
    ("A Simple $L_2$ Norm-Based Strategy", "A Simple L₂ Norm-Based Strategy"),
    ("$VILA^2$: VILA Augmented VILA", "VILA²: VILA Augmented VILA"),
    (r"LLM$\times$MapReduce", "LLM×MapReduce"),
    ("$γ-$MoD: mixture of depth", "γ-MoD: mixture of depth"),
    ("Top-$nσ$: logits", "Top-nσ: logits"),
    # dollars that are not maths
    ("a benchmark built in $200k", "a benchmark built in $200k"),
    ("Fixing 7,400 Bugs for 1$", "Fixing 7,400 Bugs for 1$"),
    (r"\$OneMillion-Bench: how far", "$OneMillion-Bench: how far"),
    ("costs $5 and $6 a month", "costs $5 and $6 a month"),
    # text commands
    (r"with \textsc{AIEV-Instruct}", "with AIEV-Instruct"),
    (r"a \textit{careful} study", "a careful study"),
    (r"the \texttt{lm-eval} harness", "the lm-eval harness"),
    (r"model {\it vs.} human", "model vs. human"),
    (r"a $\mathbf{x}$ vector", "a x vector"),
    (r"\color{red}{warning} sign", "warning sign"),
    (r"Multi-\allowbreak Modal", "Multi-Modal"),
    (r"three critical textit{O}bstacles", "three critical Obstacles"),
    # abbreviations and symbols
    (r"tasks, \eg, math, \ie, proofs, by Smith \etal", "tasks, e.g., math, i.e., proofs, by Smith et al."),
    (r"a 360\deg view at 3\times speed, 5\% better", "a 360° view at 3× speed, 5% better"),
    (r"line one \\ line two", "line one line two"),
    (r"growth n^{1+o(1)} and LaSOT_{ext}", "growth n^(1+o(1)) and LaSOT_(ext)"),
    # authors' own macros
    (r"We propose \method, and \ours{} beats \ModelName.", "We propose method, and ours beats ModelName."),
    # angle brackets are text
    ("uses <think>...</think> and <answer> tags", "uses <think>...</think> and <answer> tags"),
    ("a <picture of a man>", "a <picture of a man>"),
    # accents
    (r"{\"U}ber Fr\'echet and na\"{\i}vely, T\"ULU", "Über Fréchet and naïvely, TÜLU"),
    # footnotes: an aside where the mark stands, a link inside it still a link
    (r"We release our code and models\footnote{https://github.com/openlab/agentbench} to the community.",
     "We release our code and models (https://github.com/openlab/agentbench) to the community."),
    (r"trained on 1.2M dialogues\footnote{Filtered from public forums; see Appendix A.}, it",
     "trained on 1.2M dialogues (Filtered from public forums; see Appendix A.), it"),
    # text commands anywhere: titles, nested, inside maths, as a script
    (r"\textbf{MMLU-Pro}: a more robust and challenging benchmark", "MMLU-Pro: a more robust and challenging benchmark"),
    (r"a \textbf{\textit{training-free}} and \underline{\texttt{plug-and-play}} module",
     "a training-free and plug-and-play module"),
    (r"We introduce $\textbf{AutoPage}$, a novel multi-agent system", "We introduce AutoPage, a novel multi-agent system"),
    (r"$\underline{\textbf{S}}$elf-$\mathcal{R}$efine with \bm{x} and \mathbb{R}", "Self-Refine with x and R"),
    (r"the 5\textsuperscript{th} place and H\textsubscript{2}O", "the 5^(th) place and H₂O"),
    (r"$\textbf{\textit{Self}}$-Refine, $\textsc{AutoPage}$ and $5\textsuperscript{th}$",
     "Self-Refine, AutoPage and 5^(th)"),
    # a dollar of money never opens a formula with a stray dollar further on
    (r"efficiency in under 15 minutes for less than \$0.1. Code and dataset will be released at "
     r"$\href{https://mqleet.github.io/AutoPage_ProjectPage/}{Webpage}$.",
     "efficiency in under 15 minutes for less than $0.1. Code and dataset will be released at Webpage."),
    ("pages for under $0.1/page. Code and dataset will be released at {Webpage}$.",
     "pages for under $0.1/page. Code and dataset will be released at Webpage."),
    # commands that lost their backslash on the way to the listing
    ("R^textbf{2AI}: Towards Resistant and Resilient AI in an Evolving World",
     "R^(2AI): Towards Resistant and Resilient AI in an Evolving World"),
    ("emph{Key} insight: textit{reasoning} needs texttt{tools}", "Key insight: reasoning needs tools"),
    ("across five domains, including teal{Tool-use}, teal{Directed Acyclic Graph (DAG) QA} and orange{Self-correction}",
     "across five domains, including Tool-use, Directed Acyclic Graph (DAG) QA and Self-correction"),
    (r"up to 7{times} faster, {sim}20% less memory, 360{\deg} video; Future GPT-{n} models",
     "up to 7× faster, ~20% less memory, 360° video; Future GPT-n models"),
    # scripts that lost their dollars
    ("ZS^2 runs in O(L^2) on 360^circ videos with L_0 sparsity and the W^+ space",
     "ZS² runs in O(L²) on 360° videos with L₀ sparsity and the W⁺ space"),
    ("in O(T^K) time, a new metric (pass^k)", "in O(T^K) time, a new metric (pass^k)"),
    # braces whose other half was lost
    ("to fundamentally adjust} model behavior; the NILE}framework", "to fundamentally adjust model behavior; the NILE framework"),
]

LINK_FORMS = [
    (r"code at \url{ https://github.com/a/b }.", "https://github.com/a/b", "code at https://github.com/a/b."),
    (r"see \href{https://x.org/p}{our page}.", "https://x.org/p", "see our page."),
    (r"at https://github.com/a/SDXL\_NCP-DPO now", "https://github.com/a/SDXL_NCP-DPO",
     "at https://github.com/a/SDXL_NCP-DPO now"),
    ("at https://github.com/a/FireFlow{this URL}.", "https://github.com/a/FireFlow", "at this URL."),
]


@pytest.mark.parametrize(("source", "plain"), FORMS)
def test_each_form_reads_as_clean_text_in_an_abstract(source, plain):
    assert " ".join(plain_text(source).split()) == plain
    rendered = str(abstract_html(source))
    assert markup_problems(rendered) == []
    assert not latex_leaks(visible_text(rendered)) and not latex_leaks(plain_text(source))
    assert lost_words("", source, page_text(rendered)) == set()


@pytest.mark.parametrize(("source", "plain"), FORMS)
def test_each_form_reads_as_clean_text_in_a_title(source, plain):
    assert title_text(source) == plain
    rendered = str(title_html(source))
    assert markup_problems(rendered) == [] and "<a " not in rendered
    assert not latex_leaks(visible_text(rendered))
    assert lost_words(source, "", page_text(rendered)) == set()


@pytest.mark.parametrize(("source", "plain"), FORMS)
def test_an_id_never_holds_a_command_name_or_a_dollar(source, plain):
    slug = paper_id(source)
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug)
    for command in re.findall(r"\\([A-Za-z]{2,})", source):
        if command not in spoken(plain):  # a command's name is in an id only when a reader sees it
            assert command.lower() not in slug.split("-"), (command, slug)


def test_maths_is_mathml_in_html():
    assert str(title_html("$τ$-bench")) == '<math display="inline"><mrow><mi>τ</mi></mrow></math>-bench'
    assert "<msup><mo>∇</mo><mn>2</mn></msup>" in str(title_html(r"$\nabla^2$DFT"))
    assert '<mtext mathvariant="italic">Trans-LoRA</mtext>' in str(title_html(r"$\textit{Trans-LoRA}$"))


def test_latex_links_are_links_in_abstracts_and_text_in_titles():
    for source, url, plain in LINK_FORMS:
        assert find_links(source) == (url,)
        assert f'href="{url}"' in str(abstract_html(source))
        assert plain_text(source) == plain
        assert "<a " not in str(title_html(source)) and title_text(source) == plain


def test_authors_macros_are_named_once_each():
    assert author_macros(r"\method beats \ours; \method wins, $\ours$ too") == ("\\method", "\\ours")
    assert author_macros(r"\textbf{x}, \eg, \times, \alpha, $\leq$") == ()


def test_a_command_that_lost_its_backslash_is_read_as_the_command():
    title = "R^textbf{2AI}: Towards Resistant and Resilient AI in an Evolving World"
    assert str(title_html(title)).startswith(
        'R<math display="inline"><mrow><msup><mrow></mrow><mrow><mtext mathvariant="bold">2AI</mtext>')
    assert paper_id(title) == "r-2ai-towards-resistant-and-resilient-ai-in-an-evolving-world"
    assert str(abstract_html("emph{Key} insight")) == "<em>Key</em> insight"
    assert str(abstract_html("R^textbf{2AI}")) == str(abstract_html(r"R^\textbf{2AI}"))


def test_a_footnote_is_an_aside_in_abstracts_and_titles():
    source = r"models\footnote{Code: \url{https://github.com/a/b}.} and data\footnote{See \textbf{Appendix}.}."
    assert str(abstract_html(source)) == ('models (Code: <a href="https://github.com/a/b" rel="noreferrer">'
                                          'https://github.com/a/b</a>.) and data (See <strong>Appendix</strong>.).')
    assert find_links(source) == ("https://github.com/a/b",)
    assert title_text(r"MMLU\footnote{A benchmark.}") == "MMLU (A benchmark.)"


def test_money_never_pairs_with_a_stray_dollar():
    for source in ("Under $0.1 per page. Code at {Webpage}$.", "Under $0.1/page. Code at {Webpage}$.",
                   "Crafting for Under $0.1 in fifteen minutes, code at https://x.org/a{Webpage}$."):
        assert "<math" not in str(abstract_html(source)), source
        assert "$0.1" in plain_text(source) and "Webpage$" not in plain_text(source), source
    # a formula may start with a digit, and money may sit beside one
    assert "<math" in str(abstract_html("a rate of $10^{-3}$ and $2\\times$ faster"))
    assert plain_text("costs $5 and $\\alpha$ is 0.1") == "costs $5 and α is 0.1"


def test_text_commands_inside_maths_keep_their_text_and_style():
    assert str(title_html(r"$\textbf{\textit{Self}}$")) == (
        '<math display="inline"><mrow><mtext mathvariant="bold">Self</mtext></mrow></math>')
    assert str(title_html(r"$\textsc{AutoPage}$")) == '<math display="inline"><mrow><mtext>AutoPage</mtext></mrow></math>'
    assert "<msup>" in str(title_html(r"$5\textsuperscript{th}$"))


def test_scripts_without_dollars_are_set_as_formulas_in_html():
    for source in ("growth n^{1+o(1)}", "O(T^K) time", "LaSOT_{ext}", "R^textbf{2AI}"):
        shown = str(abstract_html(source))
        assert "<msup>" in shown or "<msub>" in shown, source
        assert not script_leaks(shown) and not latex_leaks(visible_text(shown)), source


def test_ids_of_titles_without_latex_never_change():
    assert paper_id("SnapKV: LLM Knows What You are Looking for Before Generation") == (
        "snapkv-llm-knows-what-you-are-looking-for-before-generation")
    assert paper_id("The Hitchhiker's Guide to Human Alignment with *PO") == (
        "the-hitchhikers-guide-to-human-alignment-with-po")
    assert id_text("Fixing 7,400 Bugs for ``1'' <think>") == "Fixing 7,400 Bugs for ``1'' <think>"
    # scripts that lost their dollars read better now, but their titles keep the ids they had
    assert paper_id("GS^3: Efficient Relighting with Triple Gaussian Splatting") == (
        "gs-3-efficient-relighting-with-triple-gaussian-splatting")
    assert paper_id("A Simple and Effective L_2 Norm-Based Strategy for KV Cache Compression") == (
        "a-simple-and-effective-l-2-norm-based-strategy-for-kv-cache-compression")
    assert paper_id("$VILA^2$: VILA Augmented VILA") == "vila2-vila-augmented-vila"


def test_a_latex_title_and_its_plain_spelling_are_one_paper():
    assert title_key(r"$\tau$-bench: A Benchmark") == title_key("$τ$-bench: A Benchmark")
    assert paper_id(r"$\tau$-bench: A Benchmark") == "tau-bench-a-benchmark"
    assert spoken("τ-bench and L²M") == "tau-bench and L2M"


# --- properties ----------------------------------------------------------------------------------

WORDS = st.from_regex(r"[A-Za-z][a-z]{2,8}", fullmatch=True)
# An escaped dollar is money, as papers write it ("\$10"): before a word, two of them would read
# as a formula's dollars to latex_leaks, though the page shows exactly what the source escaped.
PIECES = st.sampled_from([
    "$\\textit{{{w}}}$", "\\textsc{{{w}}}", "\\textbf{{{w}}}", "\\emph{{{w}}}", "{{\\it {w}}}", "$\\mathbf{{{w}}}$",
    "\\texttt{{{w}}}", "${w}^2$", "$\\tau$-{w}", "{w}$_2$", "\\color{{red}}{{{w}}}", "{w}-\\allowbreak",
    "\\eg {w}", "{w} \\etal", "\\{w}", "<think>{w}</think>", "{w} in $200k", "\\$10 {w}", "{w}~{w}",
    "\\url{{https://example.org/{w}}}", "$P({w} output)$", "{w}^{{2}}",
    "{w}\\footnote{{{w}}}", "{w}^textbf{{{w}}}", "emph{{{w}}}", "teal{{{w}}}", "{w}^2", "{w} under $0.1. {w}$",
    "{w}}}", "{w}_{{{w}}}",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(PIECES, WORDS), min_size=1, max_size=6))
def test_any_mix_of_forms_shows_no_latex_and_loses_no_word(pieces):
    source = " ".join(piece.format(w=word) for piece, word in pieces)
    for render, plain in ((abstract_html, plain_text), (title_html, title_text)):
        shown = page_text(str(render(source)))
        assert not latex_leaks(shown) and not latex_leaks(plain(source)), source
        assert not script_leaks(str(render(source))), source
        assert lost_words(source, "", shown) == set(), source
        assert lost_words(source, "", plain(source)) == set(), source
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", paper_id(source))
