"""A one-node graph for sessionctl's real-server tests: it sleeps as long as its input asks,
so a run keeps its thread `busy` for as long as a test needs."""
import asyncio
from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    sleep: float
    done: bool


async def work(state: State) -> State:
    await asyncio.sleep(state.get("sleep", 0))
    return {"done": True}


builder = StateGraph(State)
builder.add_node("work", work)
builder.add_edge(START, "work")
builder.add_edge("work", END)
graph = builder.compile()
