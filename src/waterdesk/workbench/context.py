def workbench(request) -> dict:
    return {}
