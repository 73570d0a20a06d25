"""Cross-cutting pieces every feature uses: errors, input validation, the app's service container."""
