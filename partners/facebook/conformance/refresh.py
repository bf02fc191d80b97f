"""Writes edges.json: the params and node fields of the Graph calls the adapter makes, as Meta's
official Python business SDK declares them (its generated adobjects: `param_types` per method,
`Field`, `_field_types` and enum classes per node). Reads the SDK with `git show`, nothing run.

Usage: python3 refresh.py <facebook-python-business-sdk git dir> <commit> > edges.json
"""
import ast, json, subprocess, sys

REPO = 'facebook/facebook-python-business-sdk'
# (our call, SDK class file, SDK method, the node `fields=` names, the Graph modifiers it may use)
EDGES = [
    ('GET', '/me/adaccounts', 'user.py', 'get_ad_accounts', 'AdAccount', ['fields', 'limit', 'after', 'before']),
    ('GET', '/act_{id}', 'adaccount.py', 'api_get', 'AdAccount', ['fields']),
    ('GET', '/act_{id}/customaudiences', 'adaccount.py', 'get_custom_audiences', 'CustomAudience',
     ['fields', 'limit', 'after', 'before']),
    ('POST', '/act_{id}/customaudiences', 'adaccount.py', 'create_custom_audience', None, []),
    ('GET', '/{id}', 'customaudience.py', 'api_get', 'CustomAudience', ['fields']),
    ('POST', '/{id}/users', 'customaudience.py', 'create_user', None, []),
    ('DELETE', '/{id}/users', 'customaudience.py', 'delete_users', None, []),
    ('GET', '/me/permissions', 'user.py', 'get_permissions', 'Permission', ['fields', 'limit', 'after', 'before']),
]
NODES = {'AdAccount': 'adaccount.py', 'CustomAudience': 'customaudience.py', 'Permission': 'permission.py'}
BASE = 'facebook_business/adobjects/'


def parse(gitdir, commit, name):
    src = subprocess.check_output(['git', '-C', gitdir, 'show', f'{commit}:{BASE}{name}']).decode()
    return next(n for n in ast.parse(src).body if isinstance(n, ast.ClassDef))


def node(cls):
    out = {'fields': [], 'field_types': {}, 'enums': {}}
    for n in cls.body:
        if isinstance(n, ast.ClassDef):
            vals = [ast.literal_eval(a.value) for a in n.body if isinstance(a, ast.Assign)]
            if n.name == 'Field':
                out['fields'] = vals
            else:
                out['enums'][n.name] = sorted(vals)
        elif isinstance(n, ast.Assign) and any(getattr(t, 'id', None) == '_field_types' for t in n.targets):
            out['field_types'] = ast.literal_eval(n.value)
    return out


def method(cls, name, enums_by_class):
    fn = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name)
    params, enums = {}, {}
    for st in ast.walk(fn):
        if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name):
            if st.targets[0].id == 'param_types':
                params = ast.literal_eval(st.value)
            elif st.targets[0].id == 'enums':
                for k, v in zip(st.value.keys, st.value.values):
                    # e.g. CustomAudience.Subtype.__dict__.values()
                    owner, enum = ast.unparse(v).split('.')[:2]
                    enums[k.value] = enums_by_class[owner]['enums'][enum]
    return params, enums


def main(gitdir, commit):
    nodes = {k: node(parse(gitdir, commit, f)) for k, f in NODES.items()}
    edges = []
    for verb, path, file, name, fields_of, modifiers in EDGES:
        params, enums = method(parse(gitdir, commit, file), name, nodes)
        edges.append({'method': verb, 'path': path, 'sdk': f'{BASE}{file} {name}', 'params': params,
                      'enums': enums, 'fieldsOf': fields_of, 'modifiers': modifiers})
    print(json.dumps({
        'source': {'repo': REPO, 'commit': commit, 'paths': sorted({BASE + e[2] for e in EDGES}),
                   'generatedBy': 'partners/facebook/conformance/refresh.py'},
        'modifiers': {
            'source': 'developers.facebook.com/docs/graph-api/overview (access_token), '
                      '…/graph-api/results (cursor paging: limit, after, before), '
                      '…/graph-api/guides/field-expansion (fields): Graph\'s own, which the SDK sends outside param_types',
            'types': {'access_token': 'string', 'fields': 'list<string>', 'limit': 'unsigned int',
                      'after': 'string', 'before': 'string'},
        },
        'edges': edges,
        'nodes': {k: {'fields': v['fields'], 'field_types': v['field_types']} for k, v in nodes.items()},
    }, indent=2))


if __name__ == '__main__':
    main(*sys.argv[1:3])
