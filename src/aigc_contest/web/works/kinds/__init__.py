"""The kinds of work, one module each; `aigc_contest.web.works.registry` maps a kind to its object."""
