"""Background tasks (django-tasks, database backend; worker: `manage.py db_worker`).

Each takes ids, re-reads state and claims its work with a conditional UPDATE: a task enqueued
or run twice does the work once. The work is in `statements.delivery`; the use cases in
`statements.services` enqueue these after commit.
"""

from django_tasks import task

from ardoise.statements import delivery


@task()
def send_statement_task(send_id: int) -> str:
    """Render the PDF and email one queued statement; returns the send's final status."""
    return str(delivery.deliver_statement_send(send_id=send_id).status)


@task()
def run_statements_task(run_id: int) -> str:
    """Work through a bulk run; returns the run's status."""
    return str(delivery.process_statement_run(run_id=run_id).status)
