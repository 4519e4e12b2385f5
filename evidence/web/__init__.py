"""Building blocks every web page uses: navigation and record links, pagination, form errors.

Domain blueprints import from here; base.html and templates/_macros.html
render what these return. See each module's docstring.
"""
