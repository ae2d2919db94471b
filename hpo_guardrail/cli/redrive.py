"""`hpo-guardrail redrive`: list the events the stack's queues kept, and deliver them to the function again."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from hpo_guardrail.adapters.awslambda import AsyncInvoker
    from hpo_guardrail.adapters.sqs import DeadLetter, SqsDeadLetterQueue

NAME = "redrive"
HELP = "list the events the stack could not deliver or process (dead letters) and deliver them again"
DESCRIPTION = (
    "Reads the stack's UndeliveredEventQueue (events EventBridge could not deliver) and FailedInvocationQueue "
    "(invocations that failed after Lambda's retries), or the queues given with --queue, and invokes the "
    "function asynchronously with each message's original EventBridge event, as EventBridge would have. A "
    "message is deleted only once Lambda accepted its event. The function deduplicates by event id, so an "
    "event that was in fact processed is recorded once and acted on once. Exit 0: every message redriven "
    "(or listed); 1: some messages could not be read as events and stay in the queue; 2: a usage error or "
    "an AWS error (the run stops; the message being redriven stays)."
)
# The stack's outputs that name the guardrail function's two queues, and the function.
STACK_QUEUE_OUTPUTS = ("UndeliveredEventQueueUrl", "FailedInvocationQueueUrl")
FUNCTION_OUTPUT = "GuardrailFunctionName"
# How long a message this command holds stays hidden from other readers: long enough to invoke the
# function and delete it; messages left over are made visible again when the command ends.
REDRIVE_VISIBILITY_S = 300
LIST_VISIBILITY_S = 60


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The redrive subcommand's options."""
    parser.add_argument(
        "--stack", metavar="NAME", help="the deployed stack: its two event queues and its guardrail function"
    )
    parser.add_argument(
        "--queue",
        action="append",
        metavar="URL|NAME",
        help="a queue to read instead of the stack's (a URL, name or ARN; repeatable)",
    )
    parser.add_argument(
        "--function",
        metavar="NAME|ARN",
        help="the function to deliver to (default: the one each message names, else the stack's)",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="only list the messages: event id, job, age, reason")
    action.add_argument("--dry-run", action="store_true", help="say what would be redriven; change nothing")
    parser.add_argument("--max", type=_positive, metavar="N", help="handle at most N messages in all")
    parser.add_argument("--region", help="the stack's region (default: the profile's, else AWS_REGION)")
    parser.add_argument("--profile", help="AWS named profile")


@dataclass
class _Tally:
    redriven: int = 0
    failed: int = 0
    handled: int = 0
    aws_error: str = ""
    held: list[DeadLetter] = field(default_factory=list)


def run(args: argparse.Namespace, *, now: datetime | None = None, out: TextIO | None = None) -> int:
    """List or redrive; 0 done, 1 some messages unreadable (left), 2 usage or AWS error."""
    from hpo_guardrail.adapters.awslambda import AsyncInvoker
    from hpo_guardrail.adapters.clients import AwsCallFailed, cli_client, session
    from hpo_guardrail.adapters.cloudformation import StackOutputs
    from hpo_guardrail.adapters.sqs import SqsDeadLetterQueue

    out = out or sys.stdout
    if not args.stack and not args.queue:
        return _error("give --stack NAME (its event queues) or --queue URL|NAME")
    try:
        aws = session(args.profile, args.region)
        sqs = cli_client("sqs", aws_session=aws, region=args.region)
        default_function: str | None = None
        queue_specs: list[str] = list(args.queue or [])
        if args.stack:
            outputs = StackOutputs(cli_client("cloudformation", aws_session=aws, region=args.region)).of(args.stack)
            default_function = outputs.get(FUNCTION_OUTPUT)
            if not queue_specs:
                missing = [name for name in STACK_QUEUE_OUTPUTS if name not in outputs]
                if missing:
                    return _error(f"stack {args.stack} has no output {', '.join(missing)}: is it HPO Guardrail's?")
                queue_specs = [outputs[name] for name in STACK_QUEUE_OUTPUTS]
        queues = [SqsDeadLetterQueue.named(sqs, spec) for spec in queue_specs]
        invoker = AsyncInvoker(cli_client("lambda", aws_session=aws, region=args.region))
    except (AwsCallFailed, ValueError) as error:
        return _error(str(error))

    moment = now or datetime.now(UTC)
    if args.list:
        return _list(queues, args.max, moment, out)
    return _redrive(queues, invoker, args, default_function, out)


def _error(message: str) -> int:
    print(f"hpo-guardrail redrive: {_one_line(message)}", file=sys.stderr)
    return 2


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- list -----------------------------------------------------------------------------------------


def _list(queues: list[SqsDeadLetterQueue], limit: int | None, now: datetime, out: TextIO) -> int:
    from hpo_guardrail.adapters.clients import AwsCallFailed

    remaining = limit
    for queue in queues:
        letters: list[DeadLetter] = []
        try:
            letters = _read_all(queue, remaining, LIST_VISIBILITY_S)
        except AwsCallFailed as error:
            return _error(str(error))
        finally:
            _release(queue, letters)
        if remaining is not None:
            remaining -= len(letters)
        out.write(f"{queue.name}: {_count(len(letters), 'message')}\n")
        if letters:
            out.write(_table(sorted(letters, key=_sent_order), now))
        if remaining == 0:
            break
    return 0


def _read_all(queue: SqsDeadLetterQueue, limit: int | None, visibility_s: int) -> list[DeadLetter]:
    """Every message (up to `limit`), each once, held invisible for `visibility_s`."""
    letters: list[DeadLetter] = []
    seen: set[str] = set()
    while limit is None or len(letters) < limit:
        wanted = 10 if limit is None else min(10, limit - len(letters))
        batch = queue.receive(wanted, visibility_s)
        fresh = [letter for letter in batch if letter.message_id not in seen]
        letters.extend(fresh)
        seen.update(letter.message_id for letter in fresh)
        if not fresh:
            break
    return letters


def _table(letters: list[DeadLetter], now: datetime) -> str:
    rows = [("EVENT ID", "JOB", "AGE", "REASON")]
    for letter in letters:
        age = _age(now - letter.sent_at) if letter.sent_at else "?"
        reason = letter.reason or "(no error recorded)"
        if letter.problem:
            reason = f"cannot redrive: {letter.problem}; {reason}"
        rows.append(
            (
                _cell(letter.event_id or f"(message {letter.message_id})"),
                _cell(letter.job_name or "-"),
                age,
                _cell(reason),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "".join(
        "  " + "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + f"  {row[3]}\n"
        for row in rows
    )


def _age(elapsed: Any) -> str:
    seconds = max(0, int(elapsed.total_seconds()))
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


def _sent_order(letter: DeadLetter) -> datetime:
    return letter.sent_at or datetime.max.replace(tzinfo=UTC)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# --- redrive ----------------------------------------------------------------------------------------


def _redrive(
    queues: list[SqsDeadLetterQueue],
    invoker: AsyncInvoker,
    args: argparse.Namespace,
    default_function: str | None,
    out: TextIO,
) -> int:
    from hpo_guardrail.adapters.clients import AwsCallFailed

    tally = _Tally()
    left = 0
    for queue in queues:
        try:
            _redrive_queue(queue, invoker, args, default_function, tally, out)
        except AwsCallFailed as error:
            tally.aws_error = str(error)
        finally:
            try:
                _release(queue, tally.held)
                left += queue.depth()
            except AwsCallFailed as error:
                tally.aws_error = tally.aws_error or str(error)
            tally.held = []
        if tally.aws_error or (args.max is not None and tally.handled >= args.max):
            break
    verb = "dry run: would redrive" if args.dry_run else "redriven"
    out.write(f"{verb} {tally.redriven}, failed {tally.failed}, left {left}\n")
    if tally.aws_error:
        return _error(tally.aws_error)
    return 1 if tally.failed else 0


def _redrive_queue(
    queue: SqsDeadLetterQueue,
    invoker: AsyncInvoker,
    args: argparse.Namespace,
    default_function: str | None,
    tally: _Tally,
    out: TextIO,
) -> None:
    seen: set[str] = set()
    while args.max is None or tally.handled < args.max:
        wanted = 10 if args.max is None else min(10, args.max - tally.handled)
        batch = [letter for letter in queue.receive(wanted, REDRIVE_VISIBILITY_S) if letter.message_id not in seen]
        if not batch:
            return
        for letter in batch:
            seen.add(letter.message_id)
            if args.max is not None and tally.handled >= args.max:
                tally.held.append(letter)
                continue
            tally.handled += 1
            function, refused = _target(args.function, default_function, letter.function_arn)
            label = _cell(f"{letter.event_id or '(no event id)'} ({letter.job_name or 'no job name'})")
            problem = (
                letter.problem or refused or ("" if function else "it names no function: give --function or --stack")
            )
            if problem:
                tally.failed += 1
                tally.held.append(letter)
                out.write(f"failed   message {_cell(letter.message_id)} in {queue.name}: {_cell(problem)}\n")
                continue
            assert function is not None and letter.event is not None
            if args.dry_run:
                tally.redriven += 1
                tally.held.append(letter)
                out.write(f"would redrive  {label} to {_short(function)}\n")
                continue
            try:
                invoker.invoke(function, letter.event)
            except Exception:
                tally.held.append(letter)  # not accepted: the message stays for the next run
                raise
            queue.delete(letter)
            tally.redriven += 1
            out.write(f"redriven {label} to {_short(function)}\n")


def _target(given: str | None, stack_function: str | None, named: str | None) -> tuple[str | None, str]:
    """Where a dead letter goes, and why not: --function, else the stack's function, else the function the message
    names. With --stack, a message naming another function is refused: the queue's content never chooses what the
    operator's credentials invoke."""
    if given:
        return given, ""
    if stack_function:
        if named and _short(named) != _short(stack_function):
            return None, f"it names the function {_short(named)}, not the stack's {_short(stack_function)}"
        return stack_function, ""
    return named, ""


def _cell(text: str) -> str:
    """Text from a queue message, made safe for a terminal line: one line, control characters shown, not run."""
    from hpo_guardrail.enforce.escaping import terminal_text  # only once there is a message to show

    return terminal_text(" ".join(str(text).split()))


def _short(function: str) -> str:
    """A function's name from its ARN (or the name as given)."""
    return function.split(":function:", 1)[-1] if ":function:" in function else function


def _release(queue: SqsDeadLetterQueue, letters: list[DeadLetter]) -> None:
    if letters:
        queue.release(letters)
