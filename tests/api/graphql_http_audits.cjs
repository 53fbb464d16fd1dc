// Runs graphql-http's server audits (vendored in ./graphql-http) against the GraphQL endpoint
// given as the first argument, one after another, and prints their results as one JSON array.
// A second argument is a bearer token every request carries.
"use strict";
const { serverAudits } = require("./graphql-http");

function withToken(token) {
  if (!token) return fetch;
  return (url, init = {}) =>
    fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });
}

async function main(url, token) {
  const results = [];
  for (const audit of serverAudits({ url, fetchFn: withToken(token) })) {
    const result = await audit.fn();
    results.push({
      id: result.id,
      name: result.name,
      status: result.status,
      reason: result.reason === undefined ? null : result.reason,
    });
  }
  process.stdout.write(JSON.stringify(results));
}

main(process.argv[2], process.argv[3]).catch((error) => {
  console.error(error);
  process.exit(1);
});
