"""The push channel: server-sent events at ``GET /api/v1/events`` (dataset versions, job progress, heartbeats).

One broadcaster per process reads server state once per tick and fans changes out to every open stream; see
docs/api.md "Push events" for the wire format and why server-sent events.
"""
from core.push.broadcaster import Broadcaster
from core.push.events import (DATASET_VERSION, HEARTBEAT, JOB_PROGRESS, STREAM_END, Event, Source,
                              dataset_version_source, default_sources, job_progress_source)
from core.push.stream import BROADCASTER_KEY, EVENTS_PATH, PushLimits, broadcaster_of, init_push

__all__ = ["Broadcaster", "Event", "Source", "PushLimits", "init_push", "broadcaster_of", "default_sources",
           "dataset_version_source", "job_progress_source", "EVENTS_PATH", "BROADCASTER_KEY",
           "DATASET_VERSION", "JOB_PROGRESS", "HEARTBEAT", "STREAM_END"]
