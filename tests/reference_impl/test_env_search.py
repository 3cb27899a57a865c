"""Search-style tool use over the generated corpus: retrieval, multi-hop answers, chat-format calls."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import reference_impl.envs  # noqa: F401  (registers the environments)
from reference_impl.envs.search import SearchEnv, make_corpus, normalise, retrieve


def test_check_env():
    check_env(gym.make("RLAtlas/Search-v0").unwrapped)


def test_corpus_is_deterministic_and_answerable():
    corpus, questions = make_corpus(10, seed=3)
    assert (corpus, questions) == make_corpus(10, seed=3) and len(corpus) == 30 and len(questions) == 30
    for q in questions:
        assert any(q["answer"] in p for p in corpus)


def test_retrieval_finds_the_passage():
    corpus, questions = make_corpus(40)
    town = questions[0]["question"].split("town of ")[1].split(" founded")[0]
    top = retrieve(corpus, f"{town} founded")
    assert top and town in top[0] and "founded" in top[0] and questions[0]["answer"] in top[0]
    assert retrieve(corpus, "the of in") == []  # only stop words: nothing to match


def test_two_hop_episode_with_both_call_formats():
    env = SearchEnv()
    i = next(k for k, q in enumerate(env.questions) if q["hops"] == 2)
    obs, info = env.reset(options={"question": i})
    assert info["hops"] == 2 and "<search>" in obs
    person = env.questions[i]["question"].split("where ")[1].split(" was born")[0]
    _, r, done, _, info = env.step(f"First find where {person} was born. <search>{person} born</search>")
    assert not done and r == 0.0 and person in info["results"][0]
    town = info["results"][0].split("town of ")[1].rstrip(".")
    call = '<tool_call>{"name": "search", "arguments": {"query": "river flows ' + town + '"}}</tool_call>'
    obs, _, done, _, info = env.step(call)
    assert not done and any(env.questions[i]["answer"] in p for p in info["results"]) and obs.endswith("</information>")
    _, r, done, _, info = env.step(f"So the answer is <answer>The {env.questions[i]['answer']}.</answer>")
    assert done and r == 1.0 and info["correct"]


@pytest.mark.parametrize("text", ["", "no tags at all ✓", "<answer>wrong</answer>", "<search>unclosed"])
def test_bad_or_wrong_text_ends_with_zero(text):
    env = SearchEnv()
    env.reset(options={"question": 0})
    _, r, done, _, info = env.step(text)
    assert done and r == 0.0 and not info["correct"]


def test_search_budget():
    env = SearchEnv(max_searches=1)
    env.reset(options={"question": 0})
    assert not env.step("<search>a b</search>")[2]
    _, r, done, _, info = env.step("<search>c d</search>")
    assert done and r == 0.0 and info["verdict"] == "too many searches"
    assert normalise("The Weaver!") == "weaver"
