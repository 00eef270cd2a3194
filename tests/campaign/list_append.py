"""A list-append checker in the style of Jepsen's Elle (Kingsbury & Alvaro,
"Elle: Inferring Isolation Anomalies from Experimental Observations").

A history is a list of `Op`s. Each is a transaction of micro-operations on
keys whose values are lists: ("append", key, value) with values unique per
key, and ("r", key, list) reading the whole list. An op is "ok"
(acknowledged), "fail" (definitely not applied) or "info" (indeterminate:
no answer, e.g. in flight when the server was killed; it may or may not have
happened, at any time after its invocation, and what it read is unknown).

Because appends are unique and lists keep their order, the longest read of a
key gives the key's version order, and every read is a prefix of it. From
that order the checker infers the dependency graph of Adya's formalism:

- ww: T1 appended the element right before the one T2 appended;
- wr: T2 read a list whose last element T1 appended;
- rw: T1 read a list that T2's append was the next element after;
- rt (real time): T1 was acknowledged before T2 was invoked; with these, a
  cycle means the history is not strictly serializable.

Cycles are classified like Elle's: G0 (ww only), G1c (ww and wr), G-single
(exactly one rw) and G2 (more), each with a "-realtime" form when the cycle
needs rt edges. Checked without a graph: G1a (a read of a failed op's
append), G1b (a read ending in an op's intermediate append), internal (a read
that disagrees with its own op's earlier appends), duplicate elements, a read
of a value nobody appended (garbage), reads that are not prefixes of each
other (incompatible order), and lost appends (an acknowledged append missing
from every read of its key that began after it was acknowledged).
"""

from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(eq=False)  # ops are distinct events: compared and hashed by identity
class Op:
    kind: str                  # "ok", "fail" or "info"
    mops: list                 # [("append", key, value) | ("r", key, list or None)]
    invoke: float
    complete: float = None     # None for "info"
    process: int = 0
    index: int = -1

    def __str__(self):
        return f"op {self.index} (process {self.process}, {self.kind}) {self.mops}"


# The graphs searched for cycles in turn, from the gravest anomaly to the
# mildest, each with the edge type it adds, which a new cycle must take.
LAYERS = [
    ({"ww"}, "ww"),
    ({"ww", "wr"}, "wr"),
    ({"ww", "wr", "rw"}, "rw"),
    ({"ww", "rt"}, "rt"),
    ({"ww", "wr", "rt"}, "rt"),
    ({"ww", "wr", "rw", "rt"}, "rt"),
]


def check(history):
    """Returns {anomaly: [description, ...]}; empty when the history is
    strictly serializable as far as its reads show."""
    for i, op in enumerate(history):
        op.index = i
    anomalies = defaultdict(list)
    writer, intermediate = appends_of(history, anomalies)
    reads = [(op, key, value) for op in history if op.kind == "ok"
             for kind, key, value in op.mops if kind == "r" and value is not None]
    orders, distinct_reads = version_orders(reads, anomalies)
    check_reads(history, reads, distinct_reads, writer, intermediate, anomalies)
    check_lost_appends(history, reads, orders, anomalies)
    graph = dependency_graph(history, reads, writer, orders)
    find_cycles(graph, history, anomalies)
    return dict(anomalies)


def appends_of(history, anomalies):
    """(key, value) -> the op that appended it; and the appends an op
    followed with another append to the same key (intermediate states)."""
    writer, intermediate = {}, set()
    for op in history:
        last = {}
        for kind, key, value in op.mops:
            if kind != "append":
                continue
            if (key, value) in writer:
                anomalies["duplicate-append"].append(f"{key}={value} appended by {writer[key, value]} and {op}")
            writer[key, value] = op
            if key in last:
                intermediate.add((key, last[key]))
            last[key] = value
    return writer, intermediate


def check_reads(history, reads, distinct_reads, writer, intermediate, anomalies):
    for op, key, value in distinct_reads:
        if len(set(value)) != len(value):
            anomalies["duplicate-elements"].append(f"{op} read {key} = {value}")
        for element in value:
            source = writer.get((key, element))
            if source is None:
                anomalies["garbage-read"].append(f"{op} read {key} element {element} that no op appended")
            elif source.kind == "fail":
                anomalies["G1a"].append(f"{op} read {key} element {element} appended by failed {source}")
    for op, key, value in reads:
        if value and (key, value[-1]) in intermediate and writer[key, value[-1]] is not op:
            anomalies["G1b"].append(f"{op} read {key} = {value}, an intermediate state of {writer[key, value[-1]]}")
    for op in history:
        if op.kind != "ok":
            continue
        own = defaultdict(list)
        for kind, key, value in op.mops:
            if kind == "append":
                own[key].append(value)
            elif value is not None and own[key] and value[-len(own[key]):] != own[key]:
                anomalies["internal"].append(f"{op} read {key} = {value} after appending {own[key]}")


def version_orders(reads, anomalies):
    """key -> its elements in version order, from the longest read; every
    other read must be a prefix of it. Also returns the reads whose elements
    need checking: the longest of each key and those that are no prefix of
    it (a prefix holds nothing the longest does not)."""
    longest = {}
    for read in reads:
        key, value = read[1], read[2]
        if key not in longest or len(value) > len(longest[key][2]):
            longest[key] = read
    orders = {key: list(value) for key, (_, _, value) in longest.items()}
    distinct = list(longest.values())
    for read in reads:
        op, key, value = read
        if orders[key][:len(value)] != list(value):
            anomalies["incompatible-order"].append(f"{op} read {key} = {value}, not a prefix of {orders[key]}")
            distinct.append(read)
    return orders, distinct


def check_lost_appends(history, reads, orders, anomalies):
    last_read = {}
    for reader, key, _ in reads:
        if key not in last_read or reader.invoke > last_read[key].invoke:
            last_read[key] = reader
    for op in history:
        if op.kind != "ok":
            continue
        for kind, key, value in op.mops:
            if kind == "append" and value not in orders.get(key, ()) and key in last_read \
                    and last_read[key].invoke > op.complete:
                anomalies["lost-append"].append(f"{key}={value} of {op} is missing from the later {last_read[key]}")


def dependency_graph(history, reads, writer, orders):
    """{op index: {successor index: {edge types}}} over ok and info ops."""
    graph = defaultdict(lambda: defaultdict(set))

    def edge(source, target, kind):
        if source and target and source is not target and "fail" not in (source.kind, target.kind):
            graph[source.index][target.index].add(kind)

    for key, order in orders.items():
        for before, after in zip(order, order[1:]):
            edge(writer.get((key, before)), writer.get((key, after)), "ww")
    for op, key, value in reads:
        order = orders.get(key, [])
        if value:
            edge(writer.get((key, value[-1])), op, "wr")
        if len(value) < len(order):
            edge(op, writer.get((key, order[len(value)])), "rw")
    for source, target in realtime_edges(history):
        edge(source, target, "rt")
    return graph


def realtime_edges(history):
    """The transitive reduction of "acknowledged before invoked": each op
    follows the ops completed before its invocation that no other such op
    already follows (an info op never completes)."""
    events = [(op.invoke, 1, op) for op in history if op.kind != "fail"]
    events += [(op.complete, 0, op) for op in history if op.kind == "ok"]
    frontier, predecessors = set(), {}
    for _, is_invoke, op in sorted(events, key=lambda e: (e[0], e[1], e[2].index)):
        if is_invoke:
            predecessors[op.index] = set(frontier)
        else:
            frontier -= predecessors[op.index]
            frontier.add(op)
    by_index = {op.index: op for op in history}
    return [(source, by_index[target]) for target, sources in predecessors.items() for source in sources]


def find_cycles(graph, history, anomalies):
    reported = set()
    for allowed, new_type in LAYERS:
        for component in strongly_connected(graph, allowed):
            if component in reported:
                continue
            cycle = cycle_through(graph, component, allowed, new_type)
            if cycle is None:
                continue
            reported.add(component)
            steps = " ".join(f"op {source} -{kind}->" for source, _, kind in cycle) + f" op {cycle[0][0]}"
            ops = "; ".join(str(history[source]) for source, _, _ in cycle)
            anomalies[cycle_name(cycle)].append(f"{steps}: {ops}")


def cycle_name(cycle):
    kinds = [kind for _, _, kind in cycle]
    rw = kinds.count("rw")
    name = "G2" if rw > 1 else "G-single" if rw == 1 else "G1c" if "wr" in kinds else "G0"
    return name + ("-realtime" if "rt" in kinds else "")


def strongly_connected(graph, allowed):
    """The components (frozensets of op indexes) of more than one op, by an
    iterative Tarjan's algorithm over the edges of the allowed types."""
    def successors(node):
        return [target for target, kinds in graph.get(node, {}).items() if kinds & allowed]

    index, low, on_stack, stack, components, counter = {}, {}, set(), [], [], [0]
    for root in list(graph):
        if root in index:
            continue
        work = [(root, iter(successors(root)))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(frozenset(component))
            elif child not in index:
                index[child] = low[child] = counter[0]
                counter[0] += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(successors(child))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def cycle_through(graph, component, allowed, required):
    """A shortest cycle inside `component` that takes an edge of the
    `required` type, preferring the fewest rw edges (G-single before G2):
    [(source, target, type), ...]; None when there is none."""
    def path(start, goal, types):
        previous, queue = {start: None}, deque([start])
        while queue:
            node = queue.popleft()
            if node == goal:
                steps = []
                while previous[node] is not None:
                    steps.append(previous[node])
                    node = previous[node][0]
                return steps[::-1]
            for target, kinds in graph.get(node, {}).items():
                usable = kinds & types
                if target in component and usable and target not in previous:
                    previous[target] = (node, target, sorted(usable)[0])
                    queue.append(target)
        return None

    for rest in ([allowed - {"rw"}, allowed] if "rw" in allowed else [allowed]):
        for source in component:
            for target, kinds in graph.get(source, {}).items():
                if target in component and required in kinds:
                    back = path(target, source, rest)
                    if back is not None:
                        return [(source, target, required)] + back
    return None
