"""This app's steps of the inbound pipeline (DESIGN.md)."""

from urp_portal.gateway.pipeline import PipelineContext, Step


def accepted_here(message, context: PipelineContext) -> Step:
    return Step.CONTINUE


def to_ticket(message, context: PipelineContext) -> Step:
    return Step.CONTINUE


def auto_replies(message, context: PipelineContext) -> Step:
    return Step.CONTINUE
