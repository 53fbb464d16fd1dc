// GraphiQL on Renkei's own copies of React, ReactDOM and GraphiQL (static/vendor): no CDN.
// A signed-in browser's queries carry the session cookie and its CSRF token, so they run as the
// person signed in to the console; a bearer token typed in the Headers tab takes over.
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var headers = {};
  if (meta && meta.content) { headers["X-CSRF-Token"] = meta.content; }
  var fetcher = GraphiQL.createFetcher({ url: "/graphql", headers: headers });
  var root = document.getElementById("graphiql");
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      defaultQuery: '{\n  regions(first: 5) { nodes { slug name } }\n}\n',
    })
  );
})();
