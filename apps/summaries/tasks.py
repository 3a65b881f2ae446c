from huey.contrib.djhuey import db_task

from .models import SummarizationRequest
from .services import summarization_request_process


@db_task(retries=3, retry_delay=10)
def summarization_request_process_task(request_id: int, text: str) -> str:
    request = SummarizationRequest.objects.get(pk=request_id)
    return summarization_request_process(request=request, text=text)
