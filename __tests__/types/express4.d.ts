// Express 4, installed as "express4" so the tests run on both majors; its API is typed as Express 5's
// for the small surface the tests use (the app, Router, urlencoded).
declare module 'express4' {
  import express from 'express';
  export default express;
}
