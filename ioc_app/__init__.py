"""Intelligent Operations Center (IOC) analytics dashboard for Vietnamese provinces."""
