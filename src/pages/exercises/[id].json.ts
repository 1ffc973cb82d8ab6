/**
 * `/exercises/<id>.json`: what a page fetches when the reader presses Check on an exercise cell
 * (the checker, its helper modules, the checks' zh/en titles; never the reference solution).
 */
import type { APIRoute, GetStaticPaths } from 'astro';
import { exerciseBundle, exerciseIds, loadExercise } from '../../cells/exercises.ts';

export const getStaticPaths: GetStaticPaths = () => exerciseIds().map((id) => ({ params: { id } }));

export const GET: APIRoute = ({ params }) =>
  new Response(JSON.stringify(exerciseBundle(loadExercise(String(params.id)))), {
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
